import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { type BaseConfig, bootstrapService, createLogger, listeningUrl, loadConfig, mintProjectToken, startTracing } from '@stagehook/platform';
import { createTestDatabase, deleteTestNamespace, TestReceiver, testEnv, uniqueName, until, type TestDatabase } from '@stagehook/testing';
import { AppModule as DeliveryModule } from '../../apps/delivery/src/app.module.js';
import { DeliveryConfig } from '../../apps/delivery/src/config.js';
import { deliveryErrorStatuses } from '../../apps/delivery/src/domain/errors.js';
import { AppModule as ItemsModule } from '../../apps/items/src/app.module.js';
import { ItemsConfig } from '../../apps/items/src/config.js';
import { itemsErrorStatuses } from '../../apps/items/src/domain/errors.js';
import { AppModule as WebhooksModule } from '../../apps/webhooks/src/app.module.js';
import { WebhooksConfig } from '../../apps/webhooks/src/config.js';
import { webhooksErrorStatuses } from '../../apps/webhooks/src/errors.js';
import { AppModule as WorkflowModule } from '../../apps/workflow/src/app.module.js';
import { WorkflowConfig } from '../../apps/workflow/src/config.js';
import { workflowErrorStatuses } from '../../apps/workflow/src/domain/errors.js';

/**
 * One trace from the request that puts an item into a webhook stage to the receiver's request and
 * on to the routing of the outcome: the four services booted in this process (so one in-memory
 * exporter sees every span), over the real PostgreSQL, NATS and an HTTP receiver.
 */

// Installed before any service boots: the first set-up in a process is the one every service shares.
const exporter = new InMemorySpanExporter();
startTracing({ serviceName: 'tracing-test', spanProcessors: [new SimpleSpanProcessor(exporter)] });

const SERVICES = [
  { name: 'items', module: ItemsModule, config: ItemsConfig, errors: itemsErrorStatuses },
  { name: 'webhooks', module: WebhooksModule, config: WebhooksConfig, errors: webhooksErrorStatuses },
  { name: 'workflow', module: WorkflowModule, config: WorkflowConfig, errors: workflowErrorStatuses },
  { name: 'delivery', module: DeliveryModule, config: DeliveryConfig, errors: deliveryErrorStatuses },
] as const;
type ServiceName = (typeof SERVICES)[number]['name'];

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

describe('a trace across the services', () => {
  const namespace = uniqueName('trace');
  const authSecret = randomBytes(32).toString('base64url');
  const dbs: TestDatabase[] = [];
  const apps: NestExpressApplication[] = [];
  const urls = new Map<ServiceName, string>();
  let receiver: TestReceiver;
  // Webhooks seals the endpoint's secrets, delivery opens them: one keyring.
  const secretKeys = `k1:${randomBytes(32).toString('base64')}`;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    for (const s of SERVICES) {
      const db = await createTestDatabase(`trace_${s.name}`);
      dbs.push(db);
      const configClass: new () => BaseConfig = s.config;
      const config = loadConfig(configClass, {
        NODE_ENV: 'test',
        SERVICE_NAME: s.name,
        HOST: '127.0.0.1',
        PORT: '0',
        DATABASE_URL: db.url,
        NATS_URL: testEnv.natsUrl,
        BUS_NAMESPACE: namespace,
        AUTH_TOKEN_SECRETS: authSecret,
        SECRET_KEYS: secretKeys,
        SSRF_ALLOW_LIST: '127.0.0.1',
        DISPATCH_POLL_MS: '50',
        LOG_LEVEL: 'warn',
      });
      const app = await bootstrapService(s.module, { config, logger: createLogger({ service: s.name, level: 'warn' }), errorStatuses: s.errors, openApi: false, handleSignals: false });
      apps.push(app);
      urls.set(s.name, listeningUrl(app));
    }
  }, 120_000);

  afterAll(async () => {
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    await receiver?.close();
    await deleteTestNamespace(namespace).catch(() => undefined);
    for (const db of dbs) await db.drop().catch(() => undefined);
  });

  const token = () => mintProjectToken({ projectId: 'trace-project', secret: authSecret, ttlSeconds: 3600 });
  async function call<T>(service: ServiceName, method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${urls.get(service)}${path}`, {
      method,
      headers: { authorization: `Bearer ${token()}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${service}${path} → ${res.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  it('follows one stage entry from the HTTP command through the relay, delivery intake and the attempt to the receiver, and back to routing', async () => {
    const endpoint = await call<{ id: string }>('webhooks', 'POST', '/endpoints', { name: 'traced', url: `${receiver.url}/traced`, includeAnnotations: false });
    const workflow = await call<{ workflowId: string; stages: { id: string; type: string }[] }>('workflow', 'POST', '/workflows/template', { name: 'Traced', endpointId: endpoint.id });
    const webhookStage = workflow.stages.find((s) => s.type === 'webhook')!;
    const dataset = await call<{ id: string }>('items', 'POST', '/datasets', { name: 'Traced' });
    const { items } = await call<{ items: { id: string }[] }>('items', 'POST', '/items', {
      datasetId: dataset.id,
      items: [{ name: 'a.jpg', path: '/', width: 10, height: 10, sourceUrl: 'https://images.example.com/a.jpg' }],
    });
    const itemId = items[0].id;
    await call('workflow', 'POST', `/workflows/${workflow.workflowId}/items`, { itemIds: [itemId] });

    // The command the trace starts from: put the item into the webhook stage.
    await call('workflow', 'POST', `/workflows/${workflow.workflowId}/items/${itemId}/set-stage`, { stageId: webhookStage.id, by: 'tracer', reason: 'trace it' });

    const [req] = await receiver.waitFor(1, '/traced', 60_000);
    const header = req.headers.traceparent;
    expect(typeof header).toBe('string');
    const [, traceId, parentId] = TRACEPARENT.exec(String(header)) ?? [];
    expect(traceId).toBeDefined();

    const spans = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const byId = () => new Map(spans().map((s) => [s.spanContext().spanId, s]));
    const parentOf = (s: ReadableSpan) => byId().get(s.parentSpanContext?.spanId ?? '');
    const ancestors = (s: ReadableSpan): ReadableSpan[] => {
      const out: ReadableSpan[] = [];
      for (let p = parentOf(s); p; p = parentOf(p)) out.push(p);
      return out;
    };
    const named = (name: string, kind?: SpanKind) => spans().filter((s) => s.name === name && (kind === undefined || s.kind === kind));

    // Workflow routes the delivered outcome: the consumer span of delivery.webhook.delivered, in
    // the same trace, is the last link.
    await until(() => named('delivery.webhook.delivered process', SpanKind.CONSUMER).length > 0, { timeoutMs: 60_000, message: 'the routing span' });

    // The receiver's request is the attempt's client span.
    const attempt = byId().get(parentId)!;
    expect(attempt).toMatchObject({ name: 'webhook attempt', kind: SpanKind.CLIENT });
    expect(attempt.attributes['http.response.status_code']).toBe(200);

    const chain = ancestors(attempt);
    const command = chain.find((s) => s.kind === SpanKind.SERVER);
    expect(command?.attributes['http.request.method']).toBe('POST');
    expect(String(command?.attributes['url.path'] ?? command?.attributes['http.target'] ?? '')).toContain('/set-stage');
    const publish = chain.find((s) => s.name === 'workflow.stage.entered publish');
    expect(publish?.kind).toBe(SpanKind.PRODUCER);
    // The publish continues the request that appended the event.
    expect(ancestors(publish!)).toContain(command);
    // Delivery's intake handled the event in a child of the publish (a batch of one), and the
    // attempt continues it; in a larger batch the attempt continues the event's own context.
    const intake = named('workflow.stage.entered process', SpanKind.CONSUMER).find((s) => s.attributes['messaging.consumer.group.name'] === 'delivery-stage-entered');
    expect(intake).toBeDefined();
    expect(ancestors(intake!)).toContain(publish);

    // The outcome continues the attempt's trace into workflow's routing.
    const outcomePublish = named('delivery.webhook.delivered publish', SpanKind.PRODUCER);
    expect(outcomePublish).toHaveLength(1);
    expect(parentOf(outcomePublish[0])).toBe(attempt);
    const routing = named('delivery.webhook.delivered process', SpanKind.CONSUMER);
    expect(routing.map((s) => parentOf(s))).toContain(outcomePublish[0]);
  });
});
