import { jetstream, type JetStreamClient, type JetStreamManager, type PubAck, type StoredMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { BusNamespace, newEvent, toCloudEvent, type CloudEvent, type EventData, type StructuredLogger } from '@stagehook/contracts';
import { connectTestNats, createTestDatabase, deleteStreams, uniqueName, type TestDatabase } from '@stagehook/testing';
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import { DataSource, type EntityManager, type MigrationInterface, type QueryRunner } from 'typeorm';
import { ConsumerRunner, ensureStreams, messagingMigrations, type ConsumerRunnerOptions, type TypedEvent } from '../src/index.js';

/** The handler's effect in tests: one row per handled event. */
export class CreateTestEffects1795460009999 implements MigrationInterface {
  name = 'CreateTestEffects1795460009999';
  async up(qr: QueryRunner): Promise<void> {
    await qr.query(`
      CREATE TABLE test_effects (
        id         bigserial PRIMARY KEY,
        consumer   text    NOT NULL,
        event_id   uuid    NOT NULL,
        item_id    text    NOT NULL,
        version    integer NOT NULL,
        runner     text    NOT NULL DEFAULT ''
      )`);
  }
  async down(qr: QueryRunner): Promise<void> {
    await qr.query(`DROP TABLE test_effects`);
  }
}

export interface Effect {
  id: number;
  consumer: string;
  eventId: string;
  itemId: string;
  version: number;
  runner: string;
}

export type StatusChanged = TypedEvent<'item.status.changed'>;

/** Log lines kept in memory; printed by a failing test's reporter only if asked for. */
export function memoryLogger(): StructuredLogger & { lines: { level: string; msg?: string; obj: object }[] } {
  const lines: { level: string; msg?: string; obj: object }[] = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, msg, obj });
      if (process.env.LOG_LEVEL === 'debug') console.log(level, msg, JSON.stringify(obj));
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export class TestEnv {
  readonly #streams: string[] = [];
  readonly #runners: ConsumerRunner[] = [];

  private constructor(
    readonly db: TestDatabase,
    readonly ds: DataSource,
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
    readonly js: JetStreamClient,
  ) {}

  static async create(prefix: string): Promise<TestEnv> {
    const db = await createTestDatabase(prefix);
    const ds = new DataSource({
      type: 'postgres',
      url: db.url,
      migrations: [...messagingMigrations, CreateTestEffects1795460009999],
      synchronize: false,
      logging: false,
      extra: { max: 20 },
    });
    await ds.initialize();
    await ds.runMigrations();
    const { nc, jsm } = await connectTestNats(prefix);
    return new TestEnv(db, ds, nc, jsm, jetstream(nc));
  }

  /** A fresh namespace with its ITEMS and DEADLETTER streams, so tests never see each other's messages. */
  async bus(): Promise<BusNamespace> {
    const ns = new BusNamespace(uniqueName('msg'));
    const infos = await ensureStreams(this.jsm, ns, ['ITEMS', 'DEADLETTER'], { maxAgeMs: 60 * 60 * 1000, maxBytes: 64 * 1024 * 1024 });
    this.#streams.push(...infos.map((i) => i.config.name));
    return ns;
  }

  /** Streams created outside bus(), deleted in close(). */
  track(...streams: string[]): void {
    this.#streams.push(...streams);
  }

  /** A runner with test defaults (short waits), stopped in close() if the test did not. */
  runner(ns: BusNamespace, opts: Partial<ConsumerRunnerOptions> & Pick<ConsumerRunnerOptions, 'durable' | 'handlers'>): ConsumerRunner {
    const r = new ConsumerRunner({
      dataSource: this.ds,
      nats: this.nc,
      namespace: ns,
      stream: 'ITEMS',
      ackWaitMs: 5_000,
      maxDeliver: 5,
      retryBackoff: () => 20,
      pullExpiresMs: 1_000,
      drainTimeoutMs: 10_000,
      ...opts,
    });
    this.#runners.push(r);
    return r;
  }

  async effects(consumer: string): Promise<Effect[]> {
    const rows: { id: string; consumer: string; event_id: string; item_id: string; version: number; runner: string }[] = await this.ds.query(
      `SELECT * FROM test_effects WHERE consumer = $1 ORDER BY id`,
      [consumer],
    );
    return rows.map((r) => ({ id: Number(r.id), consumer: r.consumer, eventId: r.event_id, itemId: r.item_id, version: r.version, runner: r.runner }));
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#runners.map((r) => r.stop()));
    await deleteStreams(this.jsm, this.#streams);
    await this.nc.drain();
    await this.ds.destroy();
    await this.db.drop();
  }
}

export function statusChanged(itemId: string, version: number, data: Partial<EventData<'item.status.changed'>> = {}): StatusChanged {
  const e = newEvent(
    'item.status.changed',
    {
      itemId,
      datasetId: 'ds-1',
      projectId: 'proj-1',
      from: 'new',
      to: 'in_progress',
      changedBy: 'user-1',
      reason: null,
      itemVersion: version,
      changedAt: new Date().toISOString(),
      ...data,
    },
    { source: 'items', projectId: 'proj-1' },
  );
  return toCloudEvent({ ...e, streamId: itemId, createdAt: new Date() }) as StatusChanged;
}

/** Publishes an event (or raw bytes) the way the relay does: msg id = event id unless given. */
export function publish(
  js: JetStreamClient,
  ns: BusNamespace,
  body: CloudEvent | Record<string, unknown> | string | Uint8Array,
  opts: { type?: string; msgID?: string } = {},
): Promise<PubAck> {
  const obj = typeof body === 'object' && !(body instanceof Uint8Array) ? (body as { id?: unknown; type?: unknown }) : undefined;
  const type = opts.type ?? (typeof obj?.type === 'string' ? obj.type : 'item.status.changed');
  const msgID = opts.msgID ?? (typeof obj?.id === 'string' ? obj.id : randomUUID());
  const payload = obj ? JSON.stringify(obj) : (body as string | Uint8Array);
  return js.publish(ns.subject(type), payload, { msgID });
}

export async function recordEffect(manager: EntityManager, consumer: string, e: StatusChanged, runner = ''): Promise<void> {
  await manager.query(`INSERT INTO test_effects (consumer, event_id, item_id, version, runner) VALUES ($1, $2, $3, $4, $5)`, [
    consumer,
    e.id,
    e.data.itemId,
    e.data.itemVersion,
    runner,
  ]);
}

/** A latch a handler waits on until the test opens it. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/** The copies on the DEADLETTER stream for one consumer. */
export async function deadLetterCopies(jsm: JetStreamManager, ns: BusNamespace, consumer: string): Promise<StoredMsg[]> {
  const stream = ns.streamName('DEADLETTER');
  const info = await jsm.streams.info(stream);
  const out: StoredMsg[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    if (m && m.subject === ns.deadLetterSubject(consumer)) out.push(m);
  }
  return out;
}

/** A counter's value for some labels (0 when never incremented). */
export async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((sum, v) => sum + v.value, 0);
}
