import { randomUUID } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { BusNamespace, type EventData, type EventType, type ItemHeadReply, ItemsRpc, type RpcReply, toCloudEvent, WebhooksRpc } from '@stagehook/contracts';
import { serveRpc } from '@stagehook/messaging';
import { bootstrapService, createLogger, listeningUrl, loadConfig, mintProjectToken } from '@stagehook/platform';
import { connectTestNats, createTestDatabase, deleteNamespace, testEnv, type TestDatabase, uniqueName } from '@stagehook/testing';
import { AppModule } from '../../src/app.module.js';
import { WorkflowConfig } from '../../src/config.js';
import { workflowErrorStatuses } from '../../src/domain/errors.js';

const SECRET = 'workflow-int-test-secret-0123456789abcdef';

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export interface Published {
  type: string;
  id: string;
  data: Record<string, unknown>;
}

/**
 * One booted workflow service on a fresh database and bus namespace, an items `head` responder
 * the test controls, and a recorder of everything the service publishes.
 */
export class Harness {
  app!: NestExpressApplication;
  db!: TestDatabase;
  nc!: NatsConnection;
  jsm!: JetStreamManager;
  readonly ns = new BusNamespace(uniqueName('workflow'));
  /** `${projectId}/${itemId}` → version the items service reports. */
  readonly itemVersions = new Map<string, number>();
  readonly published: Published[] = [];
  private responder?: Subscription;
  private recorder?: Subscription;
  private registry?: Subscription;
  /** Endpoint ids the stand-in registry says do not exist; every other id exists. */
  readonly missingEndpoints = new Set<string>();

  async start(file: string): Promise<void> {
    this.db = await createTestDatabase(`workflow_${file}`);
    ({ nc: this.nc, jsm: this.jsm } = await connectTestNats(`workflow-${file}`));
    this.serveItems();
    // The webhook registry's endpoint lookup (saving a workflow checks its endpoints exist).
    this.registry = serveRpc(this.nc, this.ns, WebhooksRpc.endpoint, 'webhooks', async (req) => {
      const { endpointId } = req as { endpointId: string };
      if (this.missingEndpoints.has(endpointId)) return { ok: false, code: 'not_found', message: `endpoint ${endpointId} not found` };
      return { ok: true, endpoint: { id: endpointId, active: true, disabledReason: null } };
    });
    this.recorder = this.nc.subscribe(this.ns.subject('workflow.>'), {
      callback: (_err, msg) => {
        const e = msg.json<{ type: string; id: string; data: Record<string, unknown> }>();
        this.published.push({ type: e.type, id: e.id, data: e.data });
      },
    });
    const config = loadConfig(WorkflowConfig, {
      NODE_ENV: 'test',
      SERVICE_NAME: 'workflow',
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: this.db.url,
      NATS_URL: testEnv.natsUrl,
      BUS_NAMESPACE: this.ns.prefix,
      AUTH_TOKEN_SECRETS: SECRET,
      ITEMS_RPC_TIMEOUT_MS: '500',
      WEBHOOKS_RPC_TIMEOUT_MS: '500',
      STAGE_TEST_TIMEOUT_MS: '1000',
    });
    this.app = await bootstrapService(AppModule, {
      config,
      logger: createLogger({ service: 'workflow', level: 'warn' }),
      errorStatuses: workflowErrorStatuses,
      handleSignals: false,
    });
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.responder?.unsubscribe();
    this.recorder?.unsubscribe();
    this.registry?.unsubscribe();
    await deleteNamespace(this.jsm, this.ns.prefix);
    await this.nc.drain();
    await this.db.drop();
  }

  serveItems(): void {
    this.responder = serveRpc(this.nc, this.ns, ItemsRpc.head, 'items', async (req): Promise<RpcReply<ItemHeadReply>> => {
      const { projectId, itemId } = req as { projectId: string; itemId: string };
      const version = this.itemVersions.get(`${projectId}/${itemId}`);
      if (version === undefined) return { ok: false, code: 'not_found', message: `item ${itemId} not found` };
      return {
        ok: true,
        item: { id: itemId, projectId, datasetId: 'ds', datasetName: 'DS', datasetSlug: 'ds', name: itemId, path: '/', status: 'new', tags: [], version, metadata: {}, slots: [] },
      };
    });
  }

  stopItems(): void {
    this.responder?.unsubscribe();
    this.responder = undefined;
  }

  async api<T = Record<string, unknown>>(method: string, path: string, opts: { project?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer<T>> {
    const token = mintProjectToken({ projectId: opts.project ?? 'p1', secret: SECRET, ttlSeconds: 600 });
    const res = await fetch(`${listeningUrl(this.app)}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
  }

  /** Publishes an event of another service on its stream, as its relay would. */
  async publish<T extends EventType>(type: T, data: EventData<T>, opts: { id?: string; subject?: string; projectId?: string } = {}): Promise<string> {
    const id = opts.id ?? randomUUID();
    const envelope = toCloudEvent({
      id,
      type,
      schemaVersion: 1,
      data,
      metadata: { source: type.split('.')[0], projectId: opts.projectId ?? 'p1' },
      streamId: opts.subject ?? `${type.split('.')[0]}-${id}`,
      createdAt: new Date(),
    });
    await jetstream(this.nc).publish(this.ns.subject(type), JSON.stringify(envelope), { msgID: id });
    return id;
  }

  entered(itemId?: string): Published[] {
    return this.published.filter((e) => e.type === 'workflow.stage.entered' && (!itemId || e.data.itemId === itemId));
  }
}
