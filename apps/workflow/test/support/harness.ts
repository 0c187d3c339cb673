import { randomUUID } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { jetstream, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { BusNamespace, type EventData, type EventType, type ItemHeadReply, ItemsRpc, type RpcReply, toCloudEvent, WebhooksRpc } from '@stagehook/contracts';
import { serveRpc } from '@stagehook/messaging';
import * as platform from '@stagehook/platform';
import { createStagehookClient, type StagehookClient } from '@stagehook/sdk';
import { bootService, type BootedService, connectTestNats, deleteNamespace, uniqueName } from '@stagehook/testing';
import { workflowService } from './service.js';

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
 * The workflow service (booted by `bootService`) with stand-ins for the services it asks over
 * the bus: an items `head` responder and an endpoint registry the test controls, and a recorder
 * of everything the service publishes.
 */
export class Harness {
  service!: BootedService<NestExpressApplication, StagehookClient>;
  nc!: NatsConnection;
  jsm!: JetStreamManager;
  readonly ns = new BusNamespace(uniqueName('workflow'));
  /** `${projectId}/${itemId}` → version the items service reports. */
  readonly itemVersions = new Map<string, number>();
  /** The items the stand-in items service was asked the head of, in order. */
  readonly headsAsked: string[] = [];
  readonly published: Published[] = [];
  private responder?: Subscription;
  private recorder?: Subscription;
  private registry?: Subscription;
  /** Endpoint ids the stand-in registry says do not exist; every other id exists. */
  readonly missingEndpoints = new Set<string>();

  /** The typed client (generated from the OpenAPI documents) for project p1. */
  get client(): StagehookClient['workflow'] {
    return this.service.client.workflow;
  }

  get app(): NestExpressApplication {
    return this.service.app;
  }

  async start(file: string): Promise<void> {
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
    this.service = await bootService(platform, workflowService, {
      namespace: this.ns.prefix,
      project: 'p1',
      client: ({ baseUrl, token }) => createStagehookClient({ baseUrl: () => baseUrl, token }),
      env: { ITEMS_RPC_TIMEOUT_MS: '500', WEBHOOKS_RPC_TIMEOUT_MS: '500', STAGE_TEST_TIMEOUT_MS: '1000' },
    });
  }

  async stop(): Promise<void> {
    await this.service?.close();
    this.responder?.unsubscribe();
    this.recorder?.unsubscribe();
    this.registry?.unsubscribe();
    await deleteNamespace(this.jsm, this.ns.prefix);
    await this.nc.drain();
  }

  serveItems(): void {
    this.responder = serveRpc(this.nc, this.ns, ItemsRpc.head, 'items', async (req): Promise<RpcReply<ItemHeadReply>> => {
      const { projectId, itemId } = req as { projectId: string; itemId: string };
      this.headsAsked.push(itemId);
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
    const { status, json } = await this.service.call<T>(method, path, opts.body, {
      ...(opts.project ? { project: opts.project } : {}),
      ...(opts.headers ? { headers: opts.headers } : {}),
    });
    return { status, body: json };
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
