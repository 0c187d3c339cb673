import { newEvent, type CatalogEvent, type TraceContext, type WriteBackRef } from '@stagehook/contracts';
import { DomainError } from '@stagehook/platform/domain';
import { DeliveryErrorCode } from './errors.js';
import { isSuccess, nextStep, type AttemptResult, type RetryPolicy } from './retry-policy.js';
import { MAX_ERROR_CHARS, storableNullable } from './storable.js';

/**
 * The lifecycle of a delivery and of an endpoint as delivery sees it, as pure decisions: each
 * takes the current state and what happened, and returns the next state and the events to
 * publish. It is the only place that builds `delivery.webhook.*` and `delivery.endpoint.*`
 * events; the callers store the state and append the events in the same transaction. The clock
 * comes in as `now`.
 *
 *   created ─ClaimDelivery→ attempting ─RecordAttempt→ delivered | failed | parked (a retry is due later)
 *   parked ─ClaimDelivery→ attempting
 *   created | parked | attempting ─FailWithoutAttempt→ failed (endpoint gone or disabled,
 *   payload that cannot be frozen)
 *
 * A claim handed back unsent (an open breaker on a standard delivery, a lost lease, shutdown) is
 * not a move: nothing was attempted or recorded, and the delivery is as it was before the claim.
 *
 *   endpoint: enabled ─DisableEndpoint→ disabled ─EnableEndpoint→ enabled
 *   circuit:  closed ─→ open ─→ half_open ─→ closed | open
 */

export class IllegalTransitionError extends DomainError {
  constructor(what: string, from: string, command: string) {
    super(DeliveryErrorCode.ILLEGAL_TRANSITION, `${what} cannot ${command} when ${from}`);
  }
}

// ——— deliveries ———

export type DeliveryStatus = 'created' | 'attempting' | 'parked' | 'delivered' | 'failed';

export interface DeliveryState {
  status: DeliveryStatus;
  /** Attempts made and counted. */
  attempts: number;
  /** When a parked delivery may be attempted again. */
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
}

/** What a delivery's outcome events say about it, fixed when it was created. */
export interface DeliveryRef {
  id: string;
  endpointId: string;
  projectId: string;
  triggerEventId: string;
  /** The event type that caused the delivery. */
  triggerType: string;
  workflowId?: string | null;
  stageId?: string | null;
  visitId?: string | null;
  itemId?: string | null;
  /** The trace the outcome event continues. */
  trace?: TraceContext;
}

/** What one attempt came to. */
export interface AttemptOutcome {
  statusCode: number | null;
  /** The receiver's Retry-After, if any. */
  retryAfter?: string;
  error: string | null;
  timedOut: boolean;
  /** An answer the stage cannot accept (a malformed write-back body): a failed attempt whatever its status. */
  refused?: string;
  /** A write-back stage's accepted response, stored; carried on the delivered event. */
  writeBack?: WriteBackRef;
}

/** What may be asked of a delivery: imperative commands; the clock comes in as the context's `now`. */
export type DeliveryCommand =
  | { type: 'ClaimDelivery' }
  | { type: 'RecordAttempt'; outcome: AttemptOutcome; policy: RetryPolicy; retryAfterMaxMs: number; random: number }
  | { type: 'FailWithoutAttempt'; reason: string };

export interface DeliveryContext {
  ref: DeliveryRef;
  /** The service that publishes the events. */
  source: string;
  now: Date;
}

export interface DeliveryDecision {
  state: DeliveryState;
  events: CatalogEvent<'delivery.webhook.delivered' | 'delivery.webhook.failed'>[];
  /** The receiver answered 410 Gone: it wants no more deliveries. */
  disableEndpoint: boolean;
}

/** A delivery just stored, before its first attempt. */
export const CREATED: DeliveryState = { status: 'created', attempts: 0, nextAttemptAt: null, lastStatusCode: null, lastError: null };

/** The state of a delivery that is pending: created if never attempted, else parked. */
export function pending(row: { attempts: number; nextAttemptAt?: Date | null; lastStatusCode?: number | null; lastError?: string | null }): DeliveryState {
  return {
    status: row.attempts === 0 ? 'created' : 'parked',
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt ?? null,
    lastStatusCode: row.lastStatusCode ?? null,
    lastError: row.lastError ?? null,
  };
}

/** How a refusal names each command (the words its message has always used). */
const REFUSED_AS: Record<DeliveryCommand['type'], string> = { ClaimDelivery: 'claim', RecordAttempt: 'record-attempt', FailWithoutAttempt: 'fail-without-attempt' };

export function decideDelivery(state: DeliveryState, command: DeliveryCommand, ctx: DeliveryContext): DeliveryDecision {
  const refuse = () => new IllegalTransitionError(`delivery ${ctx.ref.id}`, state.status, REFUSED_AS[command.type]);
  switch (command.type) {
    case 'ClaimDelivery':
      if (state.status !== 'created' && state.status !== 'parked') throw refuse();
      return { state: { ...state, status: 'attempting' }, events: [], disableEndpoint: false };
    case 'FailWithoutAttempt': {
      if (state.status === 'delivered' || state.status === 'failed') throw refuse();
      const next: DeliveryState = { ...state, status: 'failed', nextAttemptAt: null, lastError: command.reason };
      return { state: next, events: [outcomeEvent('failed', { ...next, lastStatusCode: null }, ctx)], disableEndpoint: false };
    }
    case 'RecordAttempt':
      if (state.status !== 'attempting') throw refuse();
      return recordAttempt(state, command, ctx);
    default:
      return assertNever(command);
  }
}

function recordAttempt(state: DeliveryState, cmd: Extract<DeliveryCommand, { type: 'RecordAttempt' }>, ctx: DeliveryContext): DeliveryDecision {
  const r = cmd.outcome;
  const attempts = state.attempts + 1;
  const result: AttemptResult = r.refused
    ? { kind: 'error', error: r.refused, timedOut: false }
    : r.statusCode !== null
      ? { kind: 'response', statusCode: r.statusCode, retryAfter: r.retryAfter }
      : { kind: 'error', error: r.error ?? 'no response', timedOut: r.timedOut };
  const now = ctx.now.getTime();
  const step = nextStep({ result, attempts, maxAttempts: cmd.policy.maxAttempts, schedule: cmd.policy.scheduleMs, retryAfterMaxMs: cmd.retryAfterMaxMs, now, random: cmd.random });
  const lastError = r.refused ?? r.error ?? (r.statusCode !== null && !isSuccess(r.statusCode) ? `HTTP ${r.statusCode}` : null);
  const base = { attempts, lastStatusCode: r.statusCode, lastError };
  switch (step.kind) {
    case 'retry':
      return { state: { ...base, status: 'parked', nextAttemptAt: new Date(now + step.delayMs) }, events: [], disableEndpoint: false };
    case 'delivered': {
      const next: DeliveryState = { ...base, status: 'delivered', nextAttemptAt: null };
      return { state: next, events: [outcomeEvent('delivered', next, ctx, r.writeBack)], disableEndpoint: false };
    }
    case 'failed': {
      const next: DeliveryState = { ...base, status: 'failed', nextAttemptAt: null };
      return { state: next, events: [outcomeEvent('failed', next, ctx)], disableEndpoint: step.disableEndpoint };
    }
    default:
      return assertNever(step);
  }
}

function outcomeEvent(outcome: 'delivered' | 'failed', s: DeliveryState, ctx: DeliveryContext, writeBack?: WriteBackRef) {
  const { ref } = ctx;
  const data = {
    deliveryId: ref.id,
    endpointId: ref.endpointId,
    projectId: ref.projectId,
    triggerEventId: ref.triggerEventId,
    triggerType: ref.triggerType,
    ...(ref.workflowId ? { workflowId: ref.workflowId } : {}),
    ...(ref.stageId ? { stageId: ref.stageId } : {}),
    ...(ref.visitId ? { visitId: ref.visitId } : {}),
    ...(ref.itemId ? { itemId: ref.itemId } : {}),
    // The contract counts attempts from 1; a delivery ended before any attempt reports 1.
    attempts: Math.max(1, s.attempts),
    lastStatusCode: s.lastStatusCode,
    lastError: storableNullable(s.lastError, MAX_ERROR_CHARS),
    at: ctx.now.toISOString(),
  };
  const metadata = { source: ctx.source, projectId: ref.projectId, causationId: ref.triggerEventId, ...ref.trace };
  return outcome === 'delivered'
    ? newEvent('delivery.webhook.delivered', { ...data, ...(writeBack ? { writeBack } : {}) }, metadata)
    : newEvent('delivery.webhook.failed', data, metadata);
}

// ——— endpoints ———

/** Whether delivery itself has stopped sending to the endpoint (the registry's own state is apart). */
export type EndpointState = { status: 'enabled' } | { status: 'disabled'; since: Date };

export interface EndpointRef {
  endpointId: string;
  projectId: string;
}

/** What may be asked of an endpoint: imperative commands; the clock comes in as the context's `now`. */
export type EndpointCommand =
  /** 410 Gone, or no success for too long. */
  | { type: 'DisableEndpoint'; reason: string }
  /**
   * The registry enabled the endpoint; `replayed` deliveries failed while disabled are queued
   * again. `enabledAt` is the registry's own record of when (its event's `at`, carried on as
   * written), not this service's clock.
   */
  | { type: 'EnableEndpoint'; replayed: number; enabledAt: string };

export interface EndpointContext {
  ref: EndpointRef;
  source: string;
  now: Date;
}

export interface EndpointDecision {
  state: EndpointState;
  events: CatalogEvent<'delivery.endpoint.disabled' | 'delivery.endpoint.enabled'>[];
}

export function decideEndpoint(state: EndpointState, command: EndpointCommand, ctx: EndpointContext): EndpointDecision {
  const { endpointId, projectId } = ctx.ref;
  const meta = { source: ctx.source, projectId };
  switch (command.type) {
    case 'DisableEndpoint':
      if (state.status !== 'enabled') throw new IllegalTransitionError(`endpoint ${endpointId}`, 'already disabled by delivery', 'disable');
      return {
        state: { status: 'disabled', since: ctx.now },
        events: [newEvent('delivery.endpoint.disabled', { endpointId, projectId, reason: command.reason, at: ctx.now.toISOString() }, meta)],
      };
    case 'EnableEndpoint':
      // An endpoint delivery never disabled has nothing to clear: the caller does not ask.
      if (state.status !== 'disabled') throw new IllegalTransitionError(`endpoint ${endpointId}`, 'not disabled by delivery', 'enable');
      return {
        state: { status: 'enabled' },
        events: [newEvent('delivery.endpoint.enabled', { endpointId, projectId, replayed: command.replayed, at: command.enabledAt }, meta)],
      };
    default:
      return assertNever(command);
  }
}

// ——— circuit breakers ———

export type CircuitState = 'closed' | 'open' | 'half_open';

/** The breaker's moves (opossum's); a move to half-open is not published. */
const CIRCUIT_MOVES: Record<CircuitState, readonly CircuitState[]> = { closed: ['open'], open: ['half_open'], half_open: ['closed', 'open'] };

export interface CircuitDecision {
  state: CircuitState;
  events: CatalogEvent<'delivery.endpoint.circuit.opened' | 'delivery.endpoint.circuit.closed'>[];
}

export function decideCircuit(state: CircuitState, to: CircuitState, ctx: EndpointContext): CircuitDecision {
  if (!CIRCUIT_MOVES[state].includes(to)) throw new IllegalTransitionError(`the circuit of endpoint ${ctx.ref.endpointId}`, state, `become ${to}`);
  const data = { endpointId: ctx.ref.endpointId, projectId: ctx.ref.projectId, state: to, at: ctx.now.toISOString() };
  const meta = { source: ctx.source, projectId: ctx.ref.projectId };
  switch (to) {
    case 'open':
      return { state: to, events: [newEvent('delivery.endpoint.circuit.opened', { ...data, reason: 'error rate over the threshold' }, meta)] };
    case 'closed':
      return { state: to, events: [newEvent('delivery.endpoint.circuit.closed', data, meta)] };
    case 'half_open':
      return { state: to, events: [] };
    default:
      return assertNever(to);
  }
}

function assertNever(x: never): never {
  throw new Error(`unexpected ${JSON.stringify(x)}`);
}
