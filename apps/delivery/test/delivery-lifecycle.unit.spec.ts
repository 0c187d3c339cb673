import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { validateEventData, type CatalogEvent } from '@stagehook/contracts';
import { MAX_ERROR_CHARS } from '../src/domain/storable.js';
import {
  CREATED,
  IllegalTransitionError,
  decideCircuit,
  decideDelivery,
  decideEndpoint,
  pending,
  type CircuitState,
  type DeliveryCommand,
  type DeliveryContext,
  type DeliveryState,
  type EndpointCommand,
  type EndpointContext,
  type EndpointState,
} from '../src/domain/delivery-lifecycle.js';
import type { RetryPolicy } from '../src/domain/retry-policy.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);
const TRACE = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };

const stage: DeliveryContext = {
  ref: {
    id: 'd1',
    endpointId: 'ep1',
    projectId: 'p1',
    triggerEventId: 'ev1',
    triggerType: 'workflow.stage.entered',
    workflowId: 'wf1',
    stageId: 'st1',
    visitId: 'v1',
    itemId: 'it1',
    trace: TRACE,
  },
  source: 'delivery',
  now: NOW,
};
/** An event subscription: no workflow, stage or visit (null as a claim reads them). */
const subscription: DeliveryContext = {
  ref: { id: 'd2', endpointId: 'ep1', projectId: 'p1', triggerEventId: 'ev2', triggerType: 'item.status.changed', workflowId: null, stageId: null, visitId: null, itemId: 'it1' },
  source: 'delivery',
  now: NOW,
};

const policy: RetryPolicy = { maxAttempts: 3, scheduleMs: [0, 1_000, 60_000] };
/** random 0.5 is no jitter. */
const attempt = (outcome: Partial<Extract<DeliveryCommand, { type: 'RecordAttempt' }>['outcome']>): DeliveryCommand => ({
  type: 'RecordAttempt',
  outcome: { statusCode: null, error: null, timedOut: false, ...outcome },
  policy,
  retryAfterMaxMs: 3_600_000,
  random: 0.5,
});

const state = (status: DeliveryState['status'], attempts: number, more: Partial<DeliveryState> = {}): DeliveryState => ({
  status,
  attempts,
  nextAttemptAt: null,
  lastStatusCode: null,
  lastError: null,
  ...more,
});

type Expected = { type: string; data: Record<string, unknown>; metadata: Record<string, unknown> };

/** Events without their random ids; each event checked against its contract first. */
function shapes(events: CatalogEvent[]): Expected[] {
  return events.map((e) => {
    expect(e.id).toMatch(/^[0-9a-f-]{36}$/);
    const valid = validateEventData(e.type, e.data);
    if (!valid.ok) throw new Error(`${e.type} breaks its contract: ${valid.reason}`);
    return { type: e.type, data: e.data, metadata: e.metadata };
  });
}

/** given(state).when(command).then(next state, events) or .thenThrows(). */
function given(from: DeliveryState, ctx: DeliveryContext = stage) {
  return {
    when(command: DeliveryCommand) {
      const run = () => decideDelivery(from, command, ctx);
      return {
        then(next: DeliveryState, events: Expected[] = [], disableEndpoint = false): void {
          const d = run();
          expect(d.state).toEqual(next);
          expect(shapes(d.events)).toEqual(events);
          expect(d.disableEndpoint).toBe(disableEndpoint);
        },
        thenThrows(message: RegExp): void {
          expect(run).toThrow(IllegalTransitionError);
          expect(run).toThrow(message);
        },
      };
    },
  };
}

const stageMeta = { source: 'delivery', projectId: 'p1', causationId: 'ev1', ...TRACE };
const stageOutcome = (
  type: 'delivery.webhook.delivered' | 'delivery.webhook.failed',
  attempts: number,
  lastStatusCode: number | null,
  lastError: string | null,
  more = {},
): Expected => ({
  type,
  data: {
    deliveryId: 'd1',
    endpointId: 'ep1',
    projectId: 'p1',
    triggerEventId: 'ev1',
    triggerType: 'workflow.stage.entered',
    workflowId: 'wf1',
    stageId: 'st1',
    visitId: 'v1',
    itemId: 'it1',
    attempts,
    lastStatusCode,
    lastError,
    at: NOW.toISOString(),
    ...more,
  },
  metadata: stageMeta,
});

describe('delivery lifecycle: claims', () => {
  it('claims a created delivery for its first attempt', () => {
    given(CREATED).when({ type: 'ClaimDelivery' }).then(state('attempting', 0));
  });

  it('claims a parked delivery for its next attempt, keeping what the last one said', () => {
    given(state('parked', 2, { nextAttemptAt: NOW, lastStatusCode: 500, lastError: 'HTTP 500' }))
      .when({ type: 'ClaimDelivery' })
      .then(state('attempting', 2, { nextAttemptAt: NOW, lastStatusCode: 500, lastError: 'HTTP 500' }));
  });

  it('refuses to claim a delivered delivery', () => {
    given(state('delivered', 1, { lastStatusCode: 200 }))
      .when({ type: 'ClaimDelivery' })
      .thenThrows(/delivery d1 cannot claim when delivered/);
  });

  it('refuses to claim a failed delivery', () => {
    given(state('failed', 3))
      .when({ type: 'ClaimDelivery' })
      .thenThrows(/cannot claim when failed/);
  });

  it('refuses to claim a delivery another attempt holds', () => {
    given(state('attempting', 0))
      .when({ type: 'ClaimDelivery' })
      .thenThrows(/cannot claim when attempting/);
  });

  it('reads a pending row as created before its first attempt and parked after it', () => {
    expect(pending({ attempts: 0 })).toEqual(CREATED);
    expect(pending({ attempts: 2, nextAttemptAt: NOW, lastStatusCode: 503, lastError: 'HTTP 503' })).toEqual(
      state('parked', 2, { nextAttemptAt: NOW, lastStatusCode: 503, lastError: 'HTTP 503' }),
    );
  });
});

describe('delivery lifecycle: attempts', () => {
  it('a 2xx delivers, with the delivered event the workflow routes by', () => {
    given(state('attempting', 0))
      .when(attempt({ statusCode: 200 }))
      .then(state('delivered', 1, { lastStatusCode: 200 }), [stageOutcome('delivery.webhook.delivered', 1, 200, null)]);
  });

  it("a write-back stage's accepted response travels on the delivered event", () => {
    const writeBack = { document: 'writeback.d1.1', bytes: 120, annotations: 2 };
    given(state('attempting', 0))
      .when(attempt({ statusCode: 200, writeBack }))
      .then(state('delivered', 1, { lastStatusCode: 200 }), [stageOutcome('delivery.webhook.delivered', 1, 200, null, { writeBack })]);
  });

  it('an event subscription has no workflow, stage or visit on its outcome', () => {
    given(state('attempting', 0), subscription)
      .when(attempt({ statusCode: 204 }))
      .then(state('delivered', 1, { lastStatusCode: 204 }), [
        {
          type: 'delivery.webhook.delivered',
          data: {
            deliveryId: 'd2',
            endpointId: 'ep1',
            projectId: 'p1',
            triggerEventId: 'ev2',
            triggerType: 'item.status.changed',
            itemId: 'it1',
            attempts: 1,
            lastStatusCode: 204,
            lastError: null,
            at: NOW.toISOString(),
          },
          metadata: { source: 'delivery', projectId: 'p1', causationId: 'ev2' },
        },
      ]);
  });

  it('a 500 with attempts left parks the delivery until its scheduled retry, without an event', () => {
    given(state('attempting', 1))
      .when(attempt({ statusCode: 500 }))
      .then(state('parked', 2, { nextAttemptAt: later(60_000), lastStatusCode: 500, lastError: 'HTTP 500' }));
  });

  it('a timeout parks the delivery with the error', () => {
    given(state('attempting', 0))
      .when(attempt({ error: 'timed out after 1000 ms', timedOut: true }))
      .then(state('parked', 1, { nextAttemptAt: later(1_000), lastError: 'timed out after 1000 ms' }));
  });

  it("a 429's Retry-After pushes the retry past the schedule", () => {
    given(state('attempting', 0))
      .when(attempt({ statusCode: 429, retryAfter: '30' }))
      .then(state('parked', 1, { nextAttemptAt: later(30_000), lastStatusCode: 429, lastError: 'HTTP 429' }));
  });

  it('the last attempt failing fails the delivery with the failed event', () => {
    given(state('attempting', 2))
      .when(attempt({ statusCode: 502 }))
      .then(state('failed', 3, { lastStatusCode: 502, lastError: 'HTTP 502' }), [stageOutcome('delivery.webhook.failed', 3, 502, 'HTTP 502')]);
  });

  it('410 Gone fails the delivery at once and asks for the endpoint to be disabled', () => {
    given(state('attempting', 0))
      .when(attempt({ statusCode: 410 }))
      .then(state('failed', 1, { lastStatusCode: 410, lastError: 'HTTP 410' }), [stageOutcome('delivery.webhook.failed', 1, 410, 'HTTP 410')], true);
  });

  it('an answer the stage refuses is a failed attempt despite its 2xx', () => {
    given(state('attempting', 2))
      .when(attempt({ statusCode: 200, refused: 'write-back: not JSON' }))
      .then(state('failed', 3, { lastStatusCode: 200, lastError: 'write-back: not JSON' }), [stageOutcome('delivery.webhook.failed', 3, 200, 'write-back: not JSON')]);
  });

  it('cuts a long error on the event to MAX_ERROR_CHARS, saying how much was cut, so the event keeps its contract', () => {
    const d = decideDelivery(state('attempting', 2), attempt({ error: 'x'.repeat(5_000) }), stage);
    expect(d.state.lastError).toHaveLength(5_000);
    const cut = String(d.events[0].data.lastError);
    expect(cut.length).toBeLessThanOrEqual(MAX_ERROR_CHARS);
    expect(cut).toMatch(/^x+…\[\d+ more characters\]$/);
    expect(cut.match(/^x+/)![0].length + Number(/\[(\d+) more/.exec(cut)![1])).toBe(5_000);
    // Workflow routes on this event: one its consumer refused would strand the item.
    expect(validateEventData(d.events[0].type, d.events[0].data)).toMatchObject({ ok: true });
  });

  it.each(['created', 'parked', 'delivered', 'failed'] as const)('refuses to record an attempt of a %s delivery', (status) => {
    given(state(status, 1))
      .when(attempt({ statusCode: 200 }))
      .thenThrows(new RegExp(`cannot record-attempt when ${status}`));
  });
});

describe('delivery lifecycle: failing without an attempt', () => {
  it('a stage entry whose payload cannot be frozen fails before any attempt, reporting one', () => {
    given(CREATED)
      .when({ type: 'FailWithoutAttempt', reason: 'payload_too_large' })
      .then(state('failed', 0, { lastError: 'payload_too_large' }), [stageOutcome('delivery.webhook.failed', 1, null, 'payload_too_large')]);
  });

  it('a claimed delivery whose endpoint is gone fails with its attempts so far and no status', () => {
    given(state('attempting', 2, { lastStatusCode: 500, lastError: 'HTTP 500' }))
      .when({ type: 'FailWithoutAttempt', reason: 'endpoint disabled or deleted' })
      .then(state('failed', 2, { lastStatusCode: 500, lastError: 'endpoint disabled or deleted' }), [
        stageOutcome('delivery.webhook.failed', 2, null, 'endpoint disabled or deleted'),
      ]);
  });

  it("a parked delivery of a disabled endpoint fails with the endpoint's reason", () => {
    given(state('parked', 1, { nextAttemptAt: later(60_000) }))
      .when({ type: 'FailWithoutAttempt', reason: 'endpoint disabled: the endpoint answered 410 Gone' })
      .then(state('failed', 1, { lastError: 'endpoint disabled: the endpoint answered 410 Gone' }), [
        stageOutcome('delivery.webhook.failed', 1, null, 'endpoint disabled: the endpoint answered 410 Gone'),
      ]);
  });

  it.each(['delivered', 'failed'] as const)('refuses to fail a %s delivery again', (status) => {
    given(state(status, 1))
      .when({ type: 'FailWithoutAttempt', reason: 'endpoint disabled' })
      .thenThrows(new RegExp(`cannot fail-without-attempt when ${status}`));
  });
});

const endpointCtx: EndpointContext = { ref: { endpointId: 'ep1', projectId: 'p1' }, source: 'delivery', now: NOW };

function givenEndpoint(from: EndpointState) {
  return {
    when(command: EndpointCommand) {
      const run = () => decideEndpoint(from, command, endpointCtx);
      return {
        then(next: EndpointState, events: Expected[]): void {
          const d = run();
          expect(d.state).toEqual(next);
          expect(shapes(d.events)).toEqual(events);
        },
        thenThrows(message: RegExp): void {
          expect(run).toThrow(IllegalTransitionError);
          expect(run).toThrow(message);
        },
      };
    },
  };
}

describe('endpoint lifecycle', () => {
  it('disables an enabled endpoint with the reason', () => {
    givenEndpoint({ status: 'enabled' })
      .when({ type: 'DisableEndpoint', reason: 'the endpoint answered 410 Gone' })
      .then({ status: 'disabled', since: NOW }, [
        {
          type: 'delivery.endpoint.disabled',
          data: { endpointId: 'ep1', projectId: 'p1', reason: 'the endpoint answered 410 Gone', at: NOW.toISOString() },
          metadata: { source: 'delivery', projectId: 'p1' },
        },
      ]);
  });

  it('refuses to disable an endpoint delivery has already disabled', () => {
    givenEndpoint({ status: 'disabled', since: later(-1_000) })
      .when({ type: 'DisableEndpoint', reason: 'again' })
      .thenThrows(/endpoint ep1 cannot disable when already disabled/);
  });

  it('enables a disabled endpoint at the time the registry enabled it, saying how many deliveries it replays', () => {
    givenEndpoint({ status: 'disabled', since: later(-60_000) })
      .when({ type: 'EnableEndpoint', replayed: 4, enabledAt: '2026-03-01T12:00:05.000Z' })
      .then({ status: 'enabled' }, [
        {
          type: 'delivery.endpoint.enabled',
          data: { endpointId: 'ep1', projectId: 'p1', replayed: 4, at: '2026-03-01T12:00:05.000Z' },
          metadata: { source: 'delivery', projectId: 'p1' },
        },
      ]);
  });

  it('refuses to enable an endpoint delivery never disabled', () => {
    givenEndpoint({ status: 'enabled' })
      .when({ type: 'EnableEndpoint', replayed: 0, enabledAt: NOW.toISOString() })
      .thenThrows(/cannot enable when not disabled by delivery/);
  });
});

describe('circuit lifecycle', () => {
  const circuit = (from: CircuitState, to: CircuitState) => decideCircuit(from, to, endpointCtx);
  const meta = { source: 'delivery', projectId: 'p1' };

  it('publishes a closed circuit opening, with the reason', () => {
    const d = circuit('closed', 'open');
    expect(d.state).toBe('open');
    expect(shapes(d.events)).toEqual([
      {
        type: 'delivery.endpoint.circuit.opened',
        data: { endpointId: 'ep1', projectId: 'p1', state: 'open', at: NOW.toISOString(), reason: 'error rate over the threshold' },
        metadata: meta,
      },
    ]);
  });

  it('moves an open circuit to half-open without an event', () => {
    expect(circuit('open', 'half_open')).toEqual({ state: 'half_open', events: [] });
  });

  it('publishes a half-open circuit closing after its probe succeeded', () => {
    const d = circuit('half_open', 'closed');
    expect(d.state).toBe('closed');
    expect(shapes(d.events)).toEqual([
      { type: 'delivery.endpoint.circuit.closed', data: { endpointId: 'ep1', projectId: 'p1', state: 'closed', at: NOW.toISOString() }, metadata: meta },
    ]);
  });

  it('publishes a half-open circuit opening again after its probe failed', () => {
    expect(shapes(circuit('half_open', 'open').events).map((e) => e.type)).toEqual(['delivery.endpoint.circuit.opened']);
  });

  it.each([
    ['closed', 'closed'],
    ['closed', 'half_open'],
    ['open', 'open'],
    ['open', 'closed'],
    ['half_open', 'half_open'],
  ] as const)('refuses a circuit moving from %s to %s', (from, to) => {
    expect(() => circuit(from, to)).toThrow(IllegalTransitionError);
    expect(() => circuit(from, to)).toThrow(`the circuit of endpoint ep1 cannot become ${to} when ${from}`);
  });
});
