import { afterAll, describe, expect, it } from '@jest/globals';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { TestReceiver, testEnv, until } from '@stagehook/testing';
import { Platform } from './support/platform.js';

interface Workflow {
  workflowId: string;
  stages: { id: string; type: string }[];
}

/**
 * V7: "if you don't [include annotations], the payload will simply include the metadata of the
 * image". Before, a metadata-only stage payload carried ids only; now it carries the item as it
 * was at the entered version, from the real items service.
 */
describe('a metadata-only webhook stage payload', () => {
  let platform: Platform | undefined;
  let receiver: TestReceiver | undefined;
  let nc: NatsConnection | undefined;
  afterAll(async () => {
    await platform?.stop();
    await receiver?.close();
    await nc?.drain();
  });

  it('carries the item name, path, dataset, slots with size and source URL, status, tags and metadata, and no annotations', async () => {
    receiver = await TestReceiver.start();
    platform = await Platform.start({
      env: { delivery: { DISPATCH_POLL_MS: '50' } },
    });
    const call = platform.client('payload-project');
    const ok = async <T = Record<string, unknown>>(service: Parameters<typeof call>[0], method: string, path: string, body?: unknown): Promise<T> => {
      const res = await call<T>(service, method, path, body);
      if (res.status >= 300) throw new Error(`${method} ${service}${path} → ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };
    const endpoint = await ok<{ id: string }>('webhooks', 'POST', '/endpoints', {
      name: 'counter',
      url: `${receiver.url}/meta`,
      includeAnnotations: false,
    });
    const workflow = await ok<Workflow>('workflow', 'POST', '/workflows/template', { name: 'Meta', endpointId: endpoint.id });
    const dataset = await ok<{ id: string; name: string; slug: string }>('items', 'POST', '/datasets', { name: 'Street Scenes' });
    const { items } = await ok<{ items: { id: string }[] }>('items', 'POST', '/items', {
      datasetId: dataset.id,
      items: [
        {
          name: 'crossing.jpg',
          path: '/north',
          width: 1920,
          height: 1080,
          sourceUrl: 'https://images.example.com/crossing.jpg',
          metadata: { camera: 'north-3' },
        },
      ],
    });
    const itemId = items[0].id;
    await ok('items', 'POST', `/items/${itemId}/tags`, { name: 'night' });
    await ok('workflow', 'POST', `/workflows/${workflow.workflowId}/items`, {
      itemIds: [itemId],
    });
    await ok('workflow', 'POST', `/workflows/${workflow.workflowId}/items/${itemId}/start`, {});
    // Entering annotate sets the item in progress (items consumes the stage entry); once it has,
    // that is the status at the version the webhook stage entry freezes on submit.
    await until(async () => (await ok<{ status: string }>('items', 'GET', `/items/${itemId}`)).status === 'in_progress', { message: 'in progress' });
    const before = await ok<{ status: string }>('items', 'GET', `/items/${itemId}`);

    // Every request to items from here on: a plain subscription sees them all, beside the queue group.
    const asked: string[] = [];
    nc = await connect({ servers: testEnv.natsUrl });
    nc.subscribe(`${platform.namespace}.rpc.items.>`, {
      callback: (_err, msg) => {
        asked.push(msg.subject.slice(platform!.namespace.length + 1));
      },
    });
    await nc.flush();
    await ok('workflow', 'POST', `/workflows/${workflow.workflowId}/items/${itemId}/submit`, {});

    const [req] = await receiver.waitFor(1, '/meta', 30_000);
    const body = JSON.parse(req.body) as {
      data: {
        itemId: string;
        itemVersion: number;
        item: Record<string, unknown>;
        annotations?: unknown;
      };
    };
    expect(body.data.itemId).toBe(itemId);
    expect(body.data.annotations).toBeUndefined();
    expect(body.data.item).toEqual({
      id: itemId,
      name: 'crossing.jpg',
      path: '/north',
      dataset: { id: dataset.id, name: 'Street Scenes', slug: dataset.slug },
      datasetId: dataset.id,
      datasetName: 'Street Scenes',
      slots: [
        {
          name: '0',
          type: 'image',
          width: 1920,
          height: 1080,
          sourceUrl: 'https://images.example.com/crossing.jpg',
        },
      ],
      status: before.status,
      tags: ['night'],
      metadata: { camera: 'north-3' },
    });

    // Submit → webhook stage → delivered → review. The stage entry carries the item workflow asked
    // items for at submit, so delivery does not ask again; review needs no fresh version, so the
    // outcome's routing does not ask either. Before: three requests for one stage entry.
    const review = workflow.stages.find((st) => st.type === 'review')!.id;
    await until(async () => (await ok<{ stageId: string }>('workflow', 'GET', `/workflows/${workflow.workflowId}/items/${itemId}`)).stageId === review, { message: 'in review' });
    expect(asked).toEqual(['rpc.items.head.v2']);
  });
});
