import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { answer, testEnv, TestReceiver, until } from '@stagehook/testing';
import { Platform } from './support/platform.js';

interface Stage {
  id: string;
  type: string;
  webhook?: { endpointId: string; managed?: { url: string; authorizationHeaderSet: boolean } };
  position?: { x: number; y: number };
}
interface Workflow {
  workflowId: string;
  version: number;
  stages: Stage[];
}
interface Endpoint {
  id: string;
  active: boolean;
  managedBy: { workflowId: string; stageId: string } | null;
}
interface StageTest {
  status: number | null;
  passed: boolean;
  responseBody: string;
  latencyMs: number;
  error: string | null;
}

const SECRET = 'Bearer stage-secret-5f2c9a';
// darwin-py's own fixture (apps/workflow/test/fixtures/darwin-py/README.md names its source).
const darwinPy = (file: string) => JSON.parse(readFileSync(new URL(`../../apps/workflow/test/fixtures/darwin-py/${file}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const v7Workflow = darwinPy('workflow.json');
/** V7's full stage config (every key V7 sends) with some values set, as the V7 editor would. */
const v7Config = (over: Record<string, unknown>) => ({ ...darwinPy('stage_config.json'), assignable_to: null, model_type: null, ...over });

/** dataset → annotate → webhook (its own url and authorization, V7 stage config) → complete. */
const inlineStages = (url: string, extra: Record<string, unknown> = {}) => [
  { id: 'ds', name: 'Dataset', type: 'dataset', edges: [{ name: 'default', to: 'an' }], position: { x: 20, y: 20 } },
  { id: 'an', name: 'Annotate', type: 'annotate', edges: [{ name: 'default', to: 'wh' }], position: { x: 220, y: 20 } },
  {
    id: 'wh',
    name: 'QA hook',
    type: 'webhook',
    edges: [
      { name: 'succeeded', to: 'done' },
      { name: 'failed', to: 'done' },
    ],
    webhook: { url, authorizationHeader: SECRET, retryIfFails: false, ...extra },
    position: { x: 420, y: 20 },
  },
  { id: 'done', name: 'Complete', type: 'complete', edges: [] },
];

/**
 * V7's Webhook stage as a user configures it: the url and authorization header on the stage, the
 * Test button, and a V7 workflow imported as is. Real services, a real receiver.
 */
describe('webhook stages configured as in V7', () => {
  let platform: Platform;
  let receiver: TestReceiver;
  let call: ReturnType<Platform['client']>;
  const ok = async <T = Record<string, unknown>>(service: 'workflow' | 'items' | 'webhooks' | 'delivery', method: string, path: string, body?: unknown): Promise<T> => {
    const res = await call<T>(service, method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${service}${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const newItem = async (name: string): Promise<string> => {
    const dataset = await ok<{ id: string }>('items', 'POST', '/datasets', { name: `DS ${name}` });
    const { items } = await ok<{ items: { id: string }[] }>('items', 'POST', '/items', { datasetId: dataset.id, items: [{ name, path: '/', width: 640, height: 480 }] });
    return items[0].id;
  };
  const runThroughAnnotate = async (workflowId: string, itemId: string) => {
    await ok('workflow', 'POST', `/workflows/${workflowId}/items`, { itemIds: [itemId] });
    await ok('workflow', 'POST', `/workflows/${workflowId}/items/${itemId}/start`, {});
    await ok('workflow', 'POST', `/workflows/${workflowId}/items/${itemId}/submit`, {});
  };

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    platform = await Platform.start({ env: { delivery: { DISPATCH_POLL_MS: '50' } } });
    call = platform.client('stage-config-project');
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    await receiver?.close();
  });

  it('sends to the url held by the stage with its authorization header, and never shows the header back', async () => {
    const wf = await ok<Workflow>('workflow', 'POST', '/workflows', { name: 'Inline', stages: inlineStages(`${receiver.url}/inline`) });
    const hook = wf.stages.find((s) => s.id === 'wh');
    expect(hook?.webhook?.managed).toEqual({ url: `${receiver.url}/inline`, authorizationHeaderSet: true });
    expect(wf.stages.find((s) => s.id === 'an')?.position).toEqual({ x: 220, y: 20 });

    const endpoint = await ok<Endpoint>('webhooks', 'GET', `/endpoints/${hook?.webhook?.endpointId}`);
    expect(endpoint.managedBy).toEqual({ workflowId: wf.workflowId, stageId: 'wh' });

    const itemId = await newItem('inline.jpg');
    await runThroughAnnotate(wf.workflowId, itemId);
    const [req] = await receiver.waitFor(1, '/inline', 60_000);
    expect(req.headers.authorization).toBe(SECRET);
    expect((JSON.parse(req.body) as { data: { stageId: string; itemId: string } }).data).toMatchObject({ stageId: 'wh', itemId });
    await until(async () => (await ok<{ completed: boolean }>('workflow', 'GET', `/workflows/${wf.workflowId}/items/${itemId}`)).completed, {
      timeoutMs: 60_000,
      message: 'routed through succeeded',
    });

    // A save that does not repeat the header keeps it (the API never returns it to be repeated).
    const stages = inlineStages(`${receiver.url}/inline`).map((s) => (s.id === 'wh' ? { ...s, webhook: { url: `${receiver.url}/inline`, retryIfFails: false } } : s));
    const v2 = await ok<Workflow>('workflow', 'PUT', `/workflows/${wf.workflowId}`, { name: 'Inline', stages });
    expect(v2.stages.find((s) => s.id === 'wh')?.webhook).toMatchObject({ endpointId: hook?.webhook?.endpointId, managed: { authorizationHeaderSet: true } });

    for (const path of [`/workflows/${wf.workflowId}`, `/workflows/${wf.workflowId}?version=1`, '/workflows']) {
      expect(JSON.stringify(await ok('workflow', 'GET', path))).not.toContain('stage-secret');
    }
    expect(platform.logs().join('\n')).not.toContain('stage-secret');
    // Not in any event either: the workflow's definition events, the registry's endpoint events.
    const nc = await connect({ servers: testEnv.natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      let scanned = 0;
      for (const key of ['WORKFLOW', 'WEBHOOKS', 'DELIVERY']) {
        const info = await jsm.streams.info(`${platform.namespace}_${key}`).catch(() => undefined);
        if (!info || info.state.messages === 0) continue;
        for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
          const m = await jsm.streams.getMessage(`${platform.namespace}_${key}`, { seq }).catch(() => undefined);
          if (!m) continue;
          scanned++;
          expect(new TextDecoder().decode(m.data)).not.toContain('stage-secret');
        }
      }
      expect(scanned).toBeGreaterThan(0);
    } finally {
      await nc.drain();
    }
  }, 180_000);

  it('still refuses an unknown endpoint with a 422 naming the stage, and a bad url with a 400 naming the field', async () => {
    const stages = inlineStages('x').map((s) => (s.id === 'wh' ? { ...s, webhook: { endpointId: 'no-such-endpoint' } } : s));
    const unknown = await call('workflow', 'POST', '/workflows', { name: 'Unknown', stages });
    expect(unknown.status).toBe(422);
    expect(JSON.stringify(unknown.body)).toContain("stage 'wh'");

    const bad = await call('workflow', 'POST', '/workflows', { name: 'Bad url', stages: inlineStages('not a url') });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('url');

    // The registry's SSRF rules refuse the second stage's url after it made the first one's
    // endpoint: the save is a 422 naming the field, and that endpoint is not left managed.
    const two = [
      { id: 'ds', name: 'Dataset', type: 'dataset', edges: [{ name: 'default', to: 'wh-a' }] },
      {
        id: 'wh-a',
        name: 'A',
        type: 'webhook',
        edges: [
          { name: 'succeeded', to: 'wh-b' },
          { name: 'failed', to: 'done' },
        ],
        webhook: { url: `${receiver.url}/a` },
      },
      {
        id: 'wh-b',
        name: 'B',
        type: 'webhook',
        edges: [
          { name: 'succeeded', to: 'done' },
          { name: 'failed', to: 'done' },
        ],
        webhook: { url: 'http://10.1.2.3/hook' },
      },
      { id: 'done', name: 'Complete', type: 'complete', edges: [] },
    ];
    const unsafe = await call('workflow', 'POST', '/workflows', { name: 'Unsafe', stages: two });
    expect(unsafe.status).toBe(422);
    expect(JSON.stringify(unsafe.body)).toContain('stages[2].webhook.url');
    const { endpoints } = await ok<{ endpoints: Endpoint[] }>('webhooks', 'GET', '/endpoints?limit=100');
    expect(endpoints.filter((e) => e.managedBy?.stageId === 'wh-a')).toEqual([]);
  }, 60_000);

  it('protects a managed endpoint from deletion while its stage exists, and releases it when the stage goes', async () => {
    const wf = await ok<Workflow>('workflow', 'POST', '/workflows', { name: 'Protected', stages: inlineStages(`${receiver.url}/protected`) });
    const endpointId = wf.stages.find((s) => s.id === 'wh')?.webhook?.endpointId as string;
    const refused = await call('webhooks', 'DELETE', `/endpoints/${endpointId}`);
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toContain("stage 'wh'");

    await ok('workflow', 'PUT', `/workflows/${wf.workflowId}`, {
      name: 'Protected',
      stages: [
        { id: 'ds', name: 'Dataset', type: 'dataset', edges: [{ name: 'default', to: 'done' }] },
        { id: 'done', name: 'Complete', type: 'complete', edges: [] },
      ],
    });
    const released = await ok<Endpoint>('webhooks', 'GET', `/endpoints/${endpointId}`);
    expect(released).toMatchObject({ managedBy: null, active: false });
    expect((await call('webhooks', 'DELETE', `/endpoints/${endpointId}`)).status).toBe(204);
  }, 60_000);

  it("tests a stage like V7's Test button: passes on a 200, fails with the status and body of a 500, routes nothing", async () => {
    const wf = await ok<Workflow>('workflow', 'POST', '/workflows', { name: 'Tested', stages: inlineStages(`${receiver.url}/tested`, { includeAnnotations: false }) });
    const itemId = await newItem('tested.jpg');

    const passed = await ok<StageTest>('workflow', 'POST', `/workflows/${wf.workflowId}/stages/wh/test`, { itemId });
    expect(passed).toMatchObject({ status: 200, passed: true });
    const [req] = await receiver.waitFor(1, '/tested', 30_000);
    expect(req.headers.authorization).toBe(SECRET);
    expect(req.headers['webhook-signature']).toMatch(/^v1,/);
    const body = JSON.parse(req.body) as { type: string; data: { stageId: string; itemId: string; item: { name: string } } };
    expect(body.type).toBe('workflow.stage.entered');
    expect(body.data).toMatchObject({ stageId: 'wh', itemId, item: { name: 'tested.jpg' } });

    const sample = await ok<StageTest>('workflow', 'POST', `/workflows/${wf.workflowId}/stages/wh/test`, {});
    expect(sample.passed).toBe(true);
    await receiver.waitFor(2, '/tested', 30_000);

    receiver.setDefault(answer.status(500, '{"error":"receiver broke"}'), '/tested');
    const failed = await ok<StageTest>('workflow', 'POST', `/workflows/${wf.workflowId}/stages/wh/test`, { itemId });
    receiver.reset();
    expect(failed).toMatchObject({ status: 500, passed: false });
    expect(failed.responseBody).toContain('receiver broke');

    // A test is not a delivery: the item was never put in the workflow, and nothing was recorded for it.
    expect((await call('workflow', 'GET', `/workflows/${wf.workflowId}/items/${itemId}`)).status).toBe(404);
    expect((await call('workflow', 'POST', `/workflows/${wf.workflowId}/stages/nope/test`, {})).status).toBe(404);
    expect((await call('workflow', 'POST', `/workflows/${wf.workflowId}/stages/an/test`, {})).status).toBe(422);
  }, 120_000);

  it("imports darwin-py's V7 workflow, reports what it could not map, and routes an item through it", async () => {
    const res = await call<{ workflow: Workflow; report: { path: string; message: string }[] }>('workflow', 'POST', '/workflows/import/v7', v7Workflow);
    expect(res.status).toBe(201);
    const { workflow, report } = res.body;
    expect(workflow.stages.find((s) => s.id === 'e69d3ebe-6ab9-4159-b44f-2bf84d29bb20')).toMatchObject({ type: 'annotate', position: { x: 20, y: 20 } });
    expect(report.map((n) => n.path)).toEqual(expect.arrayContaining(['dataset', 'stages[0].config.assignable_to', 'stages[0].edges[0].target_stage_id']));

    const itemId = await newItem('imported.jpg');
    await runThroughAnnotate(workflow.workflowId, itemId);
    await until(async () => (await ok<{ completed: boolean }>('workflow', 'GET', `/workflows/${workflow.workflowId}/items/${itemId}`)).completed, {
      timeoutMs: 60_000,
      message: 'completed',
    });
  }, 120_000);

  it('imports a V7 webhook stage with its url and authorization header, and routes an item through it to the receiver', async () => {
    const edge = (name: string, from: string, to: string) => ({ id: `${from}-${name}`, name, source_stage_id: from, target_stage_id: to });
    const doc = {
      name: 'V7 with webhook',
      stages: [
        { id: 'v7-ds', name: 'Dataset', type: 'dataset', config: v7Config({ x: 0, y: 0 }), edges: [edge('default', 'v7-ds', 'v7-an')] },
        { id: 'v7-an', name: 'Annotate', type: 'annotate', config: v7Config({ x: 200, y: 0 }), edges: [edge('default', 'v7-an', 'v7-wh')] },
        {
          id: 'v7-wh',
          name: 'Webhook',
          type: 'webhook',
          config: v7Config({ url: `${receiver.url}/v7`, authorization_header: SECRET, include_annotations: false, retry_if_fails: true, x: 400, y: 0 }),
          edges: [edge('succeeded', 'v7-wh', 'v7-cp'), edge('failed', 'v7-wh', 'v7-cp')],
        },
        { id: 'v7-cp', name: 'Complete', type: 'complete', config: v7Config({ x: 600, y: 0 }), edges: [] },
      ],
    };
    const res = await call<{ workflow: Workflow; report: unknown[] }>('workflow', 'POST', '/workflows/import/v7', doc);
    expect(res.status).toBe(201);
    expect(res.body.report).toEqual([]);
    expect(JSON.stringify(res.body)).not.toContain('stage-secret');
    const { workflow } = res.body;
    const itemId = await newItem('v7.jpg');
    await runThroughAnnotate(workflow.workflowId, itemId);
    const [req] = await receiver.waitFor(1, '/v7', 60_000);
    expect(req.headers.authorization).toBe(SECRET);
    await until(async () => (await ok<{ completed: boolean }>('workflow', 'GET', `/workflows/${workflow.workflowId}/items/${itemId}`)).completed, {
      timeoutMs: 60_000,
      message: 'completed',
    });
  }, 120_000);
});
