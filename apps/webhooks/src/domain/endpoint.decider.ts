import {
  assertNever,
  ENDPOINT_EVENT_TYPES,
  sameJson,
  type EndpointEventType,
  type EventData,
  type EventOf,
  type SealedSecretData,
  type SigningSecretsData,
} from '@stagehook/contracts';
import type { Decider } from '@stagehook/event-store';
import { ConflictError, NotFoundError } from '@stagehook/platform/domain';

type Data<T extends EndpointEventType> = EventData<T>;

export type { EndpointEventType } from '@stagehook/contracts';

/** The events of an endpoint's stream, as the contracts define them. */
export type EndpointEvent = EventOf<EndpointEventType>;

/** Everything an endpoint is, as `registered`/`updated` carry it (without the event time). */
export type Endpoint = Omit<Data<'webhook.endpoint.registered'>, 'at'>;

/** What a user sets on an endpoint; secrets and status are changed by their own commands. */
export type EndpointSettings = Pick<
  Endpoint,
  'name' | 'description' | 'url' | 'eventTypes' | 'filters' | 'includeAnnotations' | 'payloadFormat' | 'timeoutMs' | 'retryPolicy' | 'headers' | 'managedBy'
>;

export type EndpointState =
  | { status: 'absent' }
  | {
      status: 'live';
      endpoint: Endpoint;
      createdAt: string;
      updatedAt: string;
      /** The current signing secret was read through the reveal call (absent in rows written before reveals were once-only). */
      secretRevealed?: boolean;
    }
  | { status: 'deleted'; projectId: string };

/**
 * Commands are named in the imperative (`type`) and carry everything random or secret already made
 * (ids, sealed secrets) and the clock (`now`), so `decide` stays pure and replayable.
 */
export type EndpointCommand =
  | {
      type: 'RegisterEndpoint';
      endpointId: string;
      projectId: string;
      settings: EndpointSettings;
      authorization: SealedSecretData | null;
      signingSecret: SealedSecretData;
      now: Date;
    }
  | {
      type: 'UpdateEndpoint';
      projectId: string;
      changes: Partial<EndpointSettings>;
      /** undefined keeps the header, null removes it. */
      authorization?: SealedSecretData | null;
      now: Date;
    }
  /** `by`: the actor (`user:<id>`, `service:<id>`, `project:<id>`), or `service:delivery` mirroring delivery's own disable. */
  | { type: 'DisableEndpoint'; projectId: string; reason: string; by: string; now: Date }
  | { type: 'EnableEndpoint'; projectId: string; by: string; now: Date }
  | { type: 'DeleteEndpoint'; projectId: string; now: Date }
  | { type: 'RotateSecret'; projectId: string; newSecret: SealedSecretData; graceSeconds: number; now: Date }
  | { type: 'RevealSecret'; projectId: string; now: Date };

/** The live endpoint of the caller's project; anything else is a 404 (other projects' ids included). */
function liveIn(state: EndpointState, projectId: string): Extract<EndpointState, { status: 'live' }> {
  if (state.status !== 'live' || state.endpoint.projectId !== projectId) throw new NotFoundError('endpoint not found');
  return state;
}

/**
 * The previous signing secret as of `now`: an expired one is no longer valid and is dropped
 * from the next state the registry publishes.
 */
export function liveSigningSecrets(secrets: SigningSecretsData, now: Date): SigningSecretsData {
  if (secrets.previous && Date.parse(secrets.previous.expiresAt) <= now.getTime()) return { current: secrets.current, previous: null };
  return secrets;
}

export const endpointDecider: Decider<EndpointCommand, EndpointEvent, EndpointState> = {
  initialState: () => ({ status: 'absent' }),
  eventTypes: ENDPOINT_EVENT_TYPES,

  evolve(state, event) {
    switch (event.type) {
      case 'webhook.endpoint.registered': {
        const { at, ...endpoint } = event.data;
        return { status: 'live', endpoint, createdAt: at, updatedAt: at, secretRevealed: false };
      }
      case 'webhook.endpoint.updated': {
        if (state.status !== 'live') return state;
        const { at, ...endpoint } = event.data;
        return { ...state, endpoint, updatedAt: at };
      }
      case 'webhook.endpoint.disabled':
        if (state.status !== 'live') return state;
        return { ...state, endpoint: { ...state.endpoint, active: false, disabledReason: event.data.reason, disabledBy: event.data.by ?? null }, updatedAt: event.data.at };
      case 'webhook.endpoint.enabled':
        if (state.status !== 'live') return state;
        return { ...state, endpoint: { ...state.endpoint, active: true, disabledReason: null, disabledBy: null }, updatedAt: event.data.at };
      case 'webhook.endpoint.secret.rotated':
        if (state.status !== 'live') return state;
        return { ...state, endpoint: { ...state.endpoint, signingSecrets: event.data.signingSecrets }, updatedAt: event.data.at, secretRevealed: false };
      case 'webhook.endpoint.secret.revealed':
        if (state.status !== 'live') return state;
        return { ...state, secretRevealed: true };
      case 'webhook.endpoint.deleted':
        return { status: 'deleted', projectId: event.data.projectId };
      default:
        return assertNever(event);
    }
  },

  decide(command, state) {
    const at = command.now.toISOString();
    switch (command.type) {
      case 'RegisterEndpoint': {
        if (state.status !== 'absent') throw new ConflictError('an endpoint with this id already exists');
        return [
          {
            type: 'webhook.endpoint.registered',
            data: {
              endpointId: command.endpointId,
              projectId: command.projectId,
              ...command.settings,
              active: true,
              disabledReason: null,
              disabledBy: null,
              authorization: command.authorization,
              signingSecrets: { current: command.signingSecret, previous: null },
              at,
            },
          },
        ];
      }
      case 'UpdateEndpoint': {
        const { endpoint } = liveIn(state, command.projectId);
        const next: Endpoint = {
          ...endpoint,
          ...stripUndefined(command.changes),
          authorization: command.authorization === undefined ? endpoint.authorization : command.authorization,
          signingSecrets: liveSigningSecrets(endpoint.signingSecrets, command.now),
        };
        // Nothing changed: no event, so a retried PATCH does not wake every consumer.
        if (sameJson(next, endpoint)) return [];
        return [{ type: 'webhook.endpoint.updated', data: { ...next, at } }];
      }
      case 'DisableEndpoint': {
        const { endpoint } = liveIn(state, command.projectId);
        if (!endpoint.active && endpoint.disabledReason === command.reason) return [];
        return [{ type: 'webhook.endpoint.disabled', data: { endpointId: endpoint.endpointId, projectId: endpoint.projectId, reason: command.reason, by: command.by, at } }];
      }
      case 'EnableEndpoint': {
        const { endpoint } = liveIn(state, command.projectId);
        if (endpoint.active) return [];
        return [{ type: 'webhook.endpoint.enabled', data: { endpointId: endpoint.endpointId, projectId: endpoint.projectId, by: command.by, at } }];
      }
      case 'DeleteEndpoint': {
        const { endpoint } = liveIn(state, command.projectId);
        // A stage still sends to it: deleting it would fail the stage at its next item. Removing
        // the stage (or its url) from the workflow releases the endpoint; then it can go.
        if (endpoint.managedBy) {
          throw new ConflictError(
            `endpoint is managed by stage '${endpoint.managedBy.stageId}' of workflow ${endpoint.managedBy.workflowId}; remove the stage from the workflow instead`,
          );
        }
        return [{ type: 'webhook.endpoint.deleted', data: { endpointId: endpoint.endpointId, projectId: endpoint.projectId, at } }];
      }
      case 'RotateSecret': {
        const { endpoint } = liveIn(state, command.projectId);
        // One previous secret at a time: rotating again within the grace period retires the
        // older one at once (receivers verify against at most two secrets).
        const previous =
          command.graceSeconds > 0 ? { secret: endpoint.signingSecrets.current, expiresAt: new Date(command.now.getTime() + command.graceSeconds * 1000).toISOString() } : null;
        return [
          {
            type: 'webhook.endpoint.secret.rotated',
            data: { endpointId: endpoint.endpointId, projectId: endpoint.projectId, signingSecrets: { current: command.newSecret, previous }, at },
          },
        ];
      }
      case 'RevealSecret': {
        const live = liveIn(state, command.projectId);
        // Read once: a secret shown twice could have been shown to someone else. Rotating gives a new one.
        if (live.secretRevealed) throw new ConflictError('the current signing secret was already revealed; rotate it to reveal a new one');
        return [{ type: 'webhook.endpoint.secret.revealed', data: { endpointId: live.endpoint.endpointId, projectId: live.endpoint.projectId, at } }];
      }
      default:
        return assertNever(command);
    }
  },
};

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
