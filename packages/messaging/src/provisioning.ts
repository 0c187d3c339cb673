import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { millis, nanos } from '@nats-io/nats-core';
import { Streams, type BusNamespace, type StreamKey } from '@stagehook/contracts';

const DAY_MS = 24 * 60 * 60 * 1000;

export const ALL_STREAM_KEYS = Object.keys(Streams) as StreamKey[];

export interface StreamLimits {
  /** Messages older than this are removed whether consumed or not. Default 7 days (DEADLETTER: 30). */
  maxAgeMs?: number;
  /** Default 1 GiB. When full, publishes are refused (discard `new`): nothing unconsumed is dropped. */
  maxBytes?: number;
  /** `Nats-Msg-Id` dedupe window. Default 2 minutes (the NATS default; docs warn against large windows). */
  duplicateWindowMs?: number;
  /** Default 1 (one node). */
  replicas?: number;
}

export interface EnsureStreamsOptions extends StreamLimits {
  /** Per-stream overrides of the limits above. */
  perStream?: Partial<Record<StreamKey, StreamLimits>>;
}

export const DEFAULT_STREAM_LIMITS: Required<StreamLimits> = {
  maxAgeMs: 7 * DAY_MS,
  maxBytes: 1024 ** 3,
  duplicateWindowMs: 2 * 60 * 1000,
  replicas: 1,
};

/** Dead letters wait for a human, so they are kept longer than events. */
const DEADLETTER_DEFAULTS: StreamLimits = { maxAgeMs: 30 * DAY_MS };

export function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

/** The stream configuration Stagehook wants for `key` in `namespace`. */
export function desiredStreamConfig(namespace: BusNamespace, key: StreamKey, opts: EnsureStreamsOptions = {}): Partial<StreamConfig> & { name: string; subjects: string[] } {
  const limits: Required<StreamLimits> = {
    ...DEFAULT_STREAM_LIMITS,
    ...(key === 'DEADLETTER' ? DEADLETTER_DEFAULTS : {}),
    ...stripUndefined({ maxAgeMs: opts.maxAgeMs, maxBytes: opts.maxBytes, duplicateWindowMs: opts.duplicateWindowMs, replicas: opts.replicas }),
    ...stripUndefined(opts.perStream?.[key] ?? {}),
  };
  return {
    name: namespace.streamName(key),
    subjects: namespace.streamSubjects(key),
    description: `Stagehook ${Streams[key].source} events`,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    max_age: nanos(limits.maxAgeMs),
    max_bytes: limits.maxBytes,
    duplicate_window: nanos(limits.duplicateWindowMs),
    num_replicas: limits.replicas,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function sameSet(a: readonly string[] = [], b: readonly string[] = []): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/**
 * Creates the service streams that are missing and updates the ones whose subjects or limits
 * drifted; calling it again is a no-op. Retention and storage cannot change in place: a stream
 * created otherwise is an error (it needs a migration: new stream, mirror, move consumers).
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  namespace: BusNamespace,
  keys: readonly StreamKey[] = ALL_STREAM_KEYS,
  opts: EnsureStreamsOptions = {},
): Promise<StreamInfo[]> {
  const out: StreamInfo[] = [];
  for (const key of keys) out.push(await ensureStream(jsm, desiredStreamConfig(namespace, key, opts)));
  return out;
}

async function ensureStream(jsm: JetStreamManager, want: Partial<StreamConfig> & { name: string; subjects: string[] }, onlyCreate = false): Promise<StreamInfo> {
  let info = await streamInfo(jsm, want.name);
  if (!info) {
    try {
      return await jsm.streams.add(want);
    } catch (err) {
      // Another replica created it between our info and add: fall through and compare.
      info = await streamInfo(jsm, want.name);
      if (!info) throw err;
    }
  }
  const have = info.config;
  if (have.retention !== want.retention || have.storage !== want.storage) {
    throw new Error(`stream ${want.name} has retention '${have.retention}' / storage '${have.storage}', wanted '${want.retention}' / '${want.storage}': this needs a migration`);
  }
  if (onlyCreate) return info;
  const drifted =
    !sameSet(have.subjects, want.subjects) ||
    have.max_age !== want.max_age ||
    have.max_bytes !== want.max_bytes ||
    have.duplicate_window !== want.duplicate_window ||
    have.discard !== want.discard ||
    have.num_replicas !== want.num_replicas;
  if (!drifted) return info;
  const { name: _name, retention: _r, storage: _s, ...changes } = want;
  return jsm.streams.update(want.name, changes);
}

/** Creates the streams that are missing and leaves existing ones exactly as they are. */
export async function ensureStreamsExist(jsm: JetStreamManager, namespace: BusNamespace, keys: readonly StreamKey[], opts: EnsureStreamsOptions = {}): Promise<StreamInfo[]> {
  const out: StreamInfo[] = [];
  for (const key of keys) out.push(await ensureStream(jsm, desiredStreamConfig(namespace, key, opts), true));
  return out;
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (isApiError(err, JetStreamApiCodes.StreamNotFound)) return undefined;
    throw err;
  }
}

export interface ConsumerSpec {
  /** The JetStream stream name (already namespaced). */
  stream: string;
  /** The durable name (already namespaced); every replica of a service uses the same one. */
  durable: string;
  /** One subject (NATS 2.9 has no `filter_subjects`); wildcards allowed. */
  filterSubject: string;
  /** How long the server waits for an ack before redelivering. Handlers extend it with in-progress acks. */
  ackWaitMs: number;
  /** Deliveries before the server gives up; the runner dead-letters on the last one. */
  maxDeliver: number;
  /** Unacknowledged messages across all replicas; at least the sum of their windows. */
  maxAckPending: number;
  /** Where a new durable starts. Default `all`. Cannot change once created. */
  deliverPolicy?: DeliverPolicy;
  description?: string;
}

/**
 * Creates the durable pull consumer (explicit ack) or brings an existing one in line with `spec`.
 * Idempotent, and safe when several replicas of a service run it at once.
 */
export async function ensureConsumer(jsm: JetStreamManager, spec: ConsumerSpec): Promise<ConsumerInfo> {
  validateSpec(spec);
  const deliverPolicy = spec.deliverPolicy ?? DeliverPolicy.All;
  const updatable = {
    ack_wait: nanos(spec.ackWaitMs),
    max_deliver: spec.maxDeliver,
    max_ack_pending: spec.maxAckPending,
    filter_subject: spec.filterSubject,
    ...(spec.description ? { description: spec.description } : {}),
  };
  const existing = await consumerInfo(jsm, spec.stream, spec.durable);
  if (!existing) {
    const config: Partial<ConsumerConfig> = {
      durable_name: spec.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: deliverPolicy,
      replay_policy: ReplayPolicy.Instant,
      ...updatable,
    };
    // NATS 2.9 answers a create of an existing durable with the same config with its info, so a
    // replica racing us here is harmless.
    return jsm.consumers.add(spec.stream, config);
  }
  const have = existing.config;
  if (have.ack_policy !== AckPolicy.Explicit || have.deliver_subject) {
    throw new Error(`consumer ${spec.durable} on ${spec.stream} is not an explicit-ack pull consumer; delete it or pick another durable name`);
  }
  if (have.deliver_policy !== deliverPolicy) {
    throw new Error(`consumer ${spec.durable} on ${spec.stream} delivers '${have.deliver_policy}', wanted '${deliverPolicy}': the deliver policy cannot change in place`);
  }
  const drifted =
    have.ack_wait !== updatable.ack_wait ||
    have.max_deliver !== updatable.max_deliver ||
    have.max_ack_pending !== updatable.max_ack_pending ||
    (have.filter_subject ?? '') !== updatable.filter_subject ||
    (spec.description !== undefined && have.description !== spec.description);
  if (!drifted) return existing;
  return jsm.consumers.update(spec.stream, spec.durable, updatable);
}

async function consumerInfo(jsm: JetStreamManager, stream: string, durable: string): Promise<ConsumerInfo | undefined> {
  try {
    return await jsm.consumers.info(stream, durable);
  } catch (err) {
    if (isApiError(err, JetStreamApiCodes.ConsumerNotFound)) return undefined;
    throw err;
  }
}

function validateSpec(spec: ConsumerSpec): void {
  if (!/^[A-Za-z0-9_-]+$/.test(spec.durable)) throw new Error(`invalid durable name '${spec.durable}'`);
  if (!(spec.ackWaitMs >= 1)) throw new Error(`ackWaitMs must be positive, got ${spec.ackWaitMs}`);
  if (!Number.isInteger(spec.maxDeliver) || spec.maxDeliver < 1) throw new Error(`maxDeliver must be a positive integer, got ${spec.maxDeliver}`);
  if (!Number.isInteger(spec.maxAckPending) || spec.maxAckPending < 1) {
    throw new Error(`maxAckPending must be a positive integer, got ${spec.maxAckPending}`);
  }
}

/** The server's view of a consumer's settings, in milliseconds. */
export function consumerSettings(info: ConsumerInfo): { ackWaitMs: number; maxDeliver: number } {
  return { ackWaitMs: millis(info.config.ack_wait ?? nanos(30_000)), maxDeliver: info.config.max_deliver ?? -1 };
}
