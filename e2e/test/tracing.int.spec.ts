import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import * as platform from '@stagehook/platform';
import { startTracing } from '@stagehook/platform';
import { createStagehookClient, type DatasetView, type ItemView, ok, type StagehookClient, type WorkflowView } from '@stagehook/sdk';
import { bootService, type BootedService, deleteTestNamespace, TestAuth, TestReceiver, testSecretKeys, uniqueName, until } from '@stagehook/testing';
import { AppModule as DeliveryModule } from '../../apps/delivery/src/app.module.js';
import { DeliveryConfig } from '../../apps/delivery/src/config.js';
import { deliveryErrorStatuses } from '../../apps/delivery/src/errors.js';
import { AppModule as ItemsModule } from '../../apps/items/src/app.module.js';
import { ItemsConfig } from '../../apps/items/src/config.js';
import { itemsErrorStatuses } from '../../apps/items/src/errors.js';
import { AppModule as WebhooksModule } from '../../apps/webhooks/src/app.module.js';
import { WebhooksConfig } from '../../apps/webhooks/src/config.js';
import { webhooksErrorStatuses } from '../../apps/webhooks/src/errors.js';
import { AppModule as WorkflowModule } from '../../apps/workflow/src/app.module.js';
import { WorkflowConfig } from '../../apps/workflow/src/config.js';
import { workflowErrorStatuses } from '../../apps/workflow/src/errors.js';

/**
 * One trace from the request that puts an item into a webhook stage to the receiver's request and
 * on to the routing of the outcome: the four services booted in this process (so one in-memory
 * exporter sees every span), over the real PostgreSQL, NATS and an HTTP receiver.
 */

// Installed before any service boots: the first set-up in a process is the one every service shares.
const exporter = new InMemorySpanExporter();
startTracing({ serviceName: 'tracing-test', spanProcessors: [new SimpleSpanProcessor(exporter)] });

const SERVICES = [
  { name: 'items', module: ItemsModule, config: ItemsConfig, errorStatuses: itemsErrorStatuses },
  { name: 'webhooks', module: WebhooksModule, config: WebhooksConfig, errorStatuses: webhooksErrorStatuses },
  { name: 'workflow', module: WorkflowModule, config: WorkflowConfig, errorStatuses: workflowErrorStatuses },
  { name: 'delivery', module: DeliveryModule, config: DeliveryConfig, errorStatuses: deliveryErrorStatuses },
] as const;
type ServiceName = (typeof SERVICES)[number]['name'];

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

describe('a trace across the services', () => {
  const namespace = uniqueName('trace');
  // One token secret: the user's token is good at every service.
  const auth = new TestAuth(platform.mintProjectToken);
  const services = new Map<ServiceName, BootedService<NestExpressApplication, StagehookClient>>();
  let receiver: TestReceiver;
  // Webhooks seals the endpoint's secrets, delivery opens them: one keyring.
  const secretKeys = testSecretKeys('k1');

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    for (const s of SERVICES) {
      const service = await bootService(platform, s, {
        namespace,
        auth,
        secretKeys,
        openApi: false,
        project: 'trace-project',
        env: { DISPATCH_POLL_MS: '50' },
        client: ({ baseUrl, token }) => createStagehookClient({ baseUrl: () => baseUrl, token }),
      });
      services.set(s.name, service);
    }
  }, 120_000);

  afterAll(async () => {
    for (const s of [...services.values()].reverse()) await s.close();
    await receiver?.close();
    await deleteTestNamespace(namespace).catch(() => undefined);
  });

  /** The typed client of one service, acting for the trace's project. */
  const client = <N extends ServiceName>(name: N): StagehookClient[N] => services.get(name)!.client[name];

  it('follows one stage entry from the HTTP command through the relay, delivery intake and the attempt to the receiver, and back to routing', async () => {
    const endpoint = await ok<{ id: string }>(client('webhooks').POST('/endpoints', { body: { name: 'traced', url: `${receiver.url}/traced`, includeAnnotations: false } }));
    const workflow = await ok<WorkflowView>(client('workflow').POST('/workflows/template', { body: { name: 'Traced', endpointId: endpoint.id } }));
    const webhookStage = workflow.stages.find((s) => s.type === 'webhook')!;
    const dataset = await ok<DatasetView>(client('items').POST('/datasets', { body: { name: 'Traced' } }));
    const { items } = await ok<{ items: ItemView[] }>(
      client('items').POST('/items', {
        body: { datasetId: dataset.id, items: [{ name: 'a.jpg', path: '/', width: 10, height: 10, sourceUrl: 'https://images.example.com/a.jpg' }] },
      }),
    );
    const itemId = items[0].id;
    await ok(client('workflow').POST('/workflows/{id}/items', { params: { path: { id: workflow.workflowId } }, body: { itemIds: [itemId] } }));

    // The command the trace starts from: put the item into the webhook stage.
    await ok(
      client('workflow').POST('/workflows/{id}/items/{itemId}/set-stage', {
        params: { path: { id: workflow.workflowId, itemId } },
        body: { stageId: webhookStage.id, by: 'tracer', reason: 'trace it' },
      }),
    );

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
