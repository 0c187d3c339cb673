import { randomBytes, randomUUID } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { jetstream, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Subscription } from '@nats-io/nats-core';
import { BusNamespace, ItemsRpc, newEvent, type ItemSummary, toCloudEvent, type EndpointStateData, type EventData, type EventType } from '@stagehook/contracts';
import { ensureStreams, serveRpc } from '@stagehook/messaging';
import * as platform from '@stagehook/platform';
import { SecretBox, sealEndpointSecret } from '@stagehook/platform';
import {
  bootService,
  type BootedService,
  connectTestNats,
  createTestDatabase,
  deleteNamespace,
  serviceEnv,
  TestAuth,
  uniqueName,
  until,
  type TestDatabase,
} from '@stagehook/testing';
import pg from 'pg';
import { deliveryService } from './service.js';

export const KEYRING = `k1:${randomBytes(32).toString('base64')}`;
export const AUTH_SECRET = 'delivery-test-secret-0123456789abcdef';

export function whsec(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The item the stand-in items service describes (at `version`). */
export function itemSummary(projectId: string, itemId: string, version: number): ItemSummary {
  return {
    id: itemId,
    projectId,
    datasetId: 'ds_1',
    datasetName: 'Cats',
    datasetSlug: 'cats',
    name: 'cat.jpg',
    path: '/pets',
    status: 'in_progress',
    tags: ['urgent'],
    version,
    metadata: { camera: 'north' },
    slots: [{ name: '0', type: 'image', width: 640, height: 480, sourceUrl: `https://images.example/${itemId}.jpg` }],
  };
}

/** Delivery's settings in tests: fast polling, short retry schedules, a quick breaker. */
const DELIVERY_TEST_ENV: Record<string, string> = {
  DISPATCH_POLL_MS: '20',
  STAGE_RETRY_SCHEDULE_MS: '0,200,400,800,1600',
  RETRY_SCHEDULE_MS: '0,200,400',
  BREAKER_VOLUME_THRESHOLD: '4',
  BREAKER_ERROR_PERCENT: '50',
  BREAKER_WINDOW_MS: '10000',
  BREAKER_RESET_MS: '1500',
  ITEMS_RPC_TIMEOUT_MS: '300',
};

/**
 * One test file's infrastructure: a fresh database, a bus namespace, a NATS connection, a
 * stand-in items service, and delivery apps booted on them by `bootService` (several share the
 * database and namespace, as replicas do).
 */
export class Harness {
  db!: TestDatabase;
  nc!: NatsConnection;
  jsm!: JetStreamManager;
  js!: JetStreamClient;
  pool!: pg.Pool;
  readonly ns: BusNamespace;
  readonly box = SecretBox.fromConfig(KEYRING);
  readonly auth = new TestAuth(platform.mintProjectToken, AUTH_SECRET);
  readonly services: BootedService<NestExpressApplication>[] = [];
  /** What delivery asked the items service's `head` (the item a metadata-only stage payload carries). */
  readonly headAsked: { projectId: string; itemId: string; version?: number }[] = [];
  private itemsHead: Subscription | undefined;
  private seq = 0;

  constructor(readonly name: string) {
    this.ns = new BusNamespace(uniqueName(`dl_${name}`));
  }

  async setUp(): Promise<void> {
    this.db = await createTestDatabase(`delivery_${this.name}`);
    ({ nc: this.nc, jsm: this.jsm } = await connectTestNats(`delivery-${this.name}`));
    this.js = jetstream(this.nc);
    this.pool = new pg.Pool({ connectionString: this.db.url, max: 3 });
    await ensureStreams(this.jsm, this.ns, ['WORKFLOW', 'ITEMS', 'WEBHOOKS']);
    this.serveItemsHead();
  }

  /**
   * The items service's `head` on the real bus: every item exists, as `itemSummary` describes it.
   * `stopItemsHead()` makes items silent (down) for the rest of a test until served again.
   */
  serveItemsHead(): void {
    this.itemsHead ??= serveRpc(this.nc, this.ns, ItemsRpc.head, 'items', async (req) => {
      const r = req as { projectId: string; itemId: string; version?: number };
      this.headAsked.push(r);
      return { ok: true, item: itemSummary(r.projectId, r.itemId, r.version ?? 1) };
    });
  }

  stopItemsHead(): void {
    this.itemsHead?.unsubscribe();
    this.itemsHead = undefined;
  }

  get apps(): NestExpressApplication[] {
    return this.services.map((s) => s.app);
  }

  /** The environment `boot` configures delivery from (for a process, or to test config validation). */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...serviceEnv({ service: 'delivery', databaseUrl: this.db.url, namespace: this.ns.prefix, authSecret: AUTH_SECRET, secretKeys: KEYRING }),
      ...DELIVERY_TEST_ENV,
      ...extra,
    };
  }

  async boot(extra: Record<string, string> = {}): Promise<NestExpressApplication> {
    const service = await bootService(platform, deliveryService, {
      database: this.db,
      namespace: this.ns.prefix,
      auth: this.auth,
      secretKeys: KEYRING,
      env: { ...DELIVERY_TEST_ENV, ...extra },
    });
    this.services.push(service);
    return service.app;
  }

  async tearDown(): Promise<void> {
    for (const service of this.services) await service.close();
    await this.pool?.end();
    await deleteNamespace(this.jsm, this.ns.prefix);
    await this.nc?.drain();
    await this.db?.drop();
  }

  /** `streamVersion`: the event's version in its stream (`subject`), as the relay stamps it. */
  async publish<T extends EventType>(type: T, data: EventData<T>, projectId: string, subject?: string, streamVersion?: number): Promise<string> {
    const e = newEvent(type, data, { source: type.split('.')[0], projectId });
    const ce = toCloudEvent({ ...e, streamId: subject ?? e.id, streamVersion, createdAt: new Date() });
    await this.js.publish(this.ns.subject(type), JSON.stringify(ce), { msgID: e.id });
    return e.id;
  }

  /** Registers an endpoint through the registry's event, as the real registry would. */
  async registerEndpoint(
    projectId: string,
    url: string,
    opts: Partial<EndpointStateData> & { secrets?: string[]; auth?: string } = {},
  ): Promise<EndpointStateData & { secret: string }> {
    const secrets = opts.secrets ?? [whsec()];
    const endpointId = opts.endpointId ?? `ep_${randomUUID().slice(0, 8)}`;
    const state: EndpointStateData = {
      endpointId,
      projectId,
      name: 'test endpoint',
      url,
      eventTypes: opts.eventTypes ?? [],
      filters: opts.filters ?? {},
      includeAnnotations: opts.includeAnnotations ?? false,
      ...(opts.payloadFormat ? { payloadFormat: opts.payloadFormat } : {}),
      timeoutMs: opts.timeoutMs ?? 5_000,
      retryPolicy: opts.retryPolicy ?? null,
      headers: opts.headers ?? [],
      active: true,
      disabledReason: null,
      // Sealed as the registry seals them: bound to the endpoint and field.
      authorization: opts.auth ? sealEndpointSecret(this.box, opts.auth, endpointId, 'authorization') : null,
      signingSecrets: {
        current: sealEndpointSecret(this.box, secrets[0], endpointId, 'signing'),
        previous: secrets[1] ? { secret: sealEndpointSecret(this.box, secrets[1], endpointId, 'signing'), expiresAt: new Date(Date.now() + 86_400_000).toISOString() } : null,
      },
      at: new Date().toISOString(),
    };
    await this.publish('webhook.endpoint.registered', state, projectId, `endpoint-${endpointId}`);
    await this.waitForRow(`SELECT 1 FROM dl_endpoints WHERE id = $1`, [endpointId]);
    return { ...state, secret: secrets[0] };
  }

  /** A webhook stage entry for `endpointId`. */
  async enterWebhookStage(projectId: string, endpointId: string, opts: { maxAttempts?: number; includeAnnotations?: boolean; itemId?: string } = {}) {
    const d = {
      workflowId: 'wf_1',
      workflowVersion: 1,
      stageId: 'st_hook',
      stageType: 'webhook' as const,
      stageName: 'Send to model',
      itemId: opts.itemId ?? `it_${randomUUID().slice(0, 8)}`,
      visitId: `v_${randomUUID()}`,
      itemVersion: 3,
      projectId,
      enteredAt: new Date().toISOString(),
      webhook: {
        endpointId,
        ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
        ...(opts.includeAnnotations !== undefined ? { includeAnnotations: opts.includeAnnotations } : {}),
      },
    };
    const eventId = await this.publish('workflow.stage.entered', d, projectId, `item-${d.itemId}`);
    return { eventId, ...d };
  }

  async query<T>(sql: string, args: unknown[] = []): Promise<T[]> {
    return (await this.pool.query(sql, args)).rows as T[];
  }

  async waitForRow(sql: string, args: unknown[], timeoutMs = 30_000): Promise<void> {
    // Tolerates a missing table: a service process may still be migrating.
    await until(async () => (await this.pool.query(sql, args)).rowCount, { timeoutMs, intervalMs: 20, message: `a row for ${sql}` });
  }

  /** The outcome events appended for a trigger (what the relay publishes to the workflow). */
  async outcomes(triggerEventId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
    return this.query(`SELECT type, data FROM es_events WHERE type LIKE 'delivery.webhook.%' AND data->>'triggerEventId' = $1 ORDER BY global_position`, [triggerEventId]);
  }

  token(projectId: string): string {
    return this.auth.token(projectId, { ttlSeconds: 600 });
  }

  url(app: NestExpressApplication, path: string): string {
    const service = this.services.find((s) => s.app === app);
    if (!service) throw new Error('not an app this harness booted');
    return `${service.url}${path}`;
  }

  nextSeq(): number {
    return ++this.seq;
  }
}
