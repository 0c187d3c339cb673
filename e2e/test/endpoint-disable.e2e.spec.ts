import { afterAll, describe, expect, it } from '@jest/globals';
import { answer, TestReceiver, until } from '@stagehook/testing';
import { Platform } from './support/platform.js';

interface Workflow {
  workflowId: string;
  stages: { id: string; type: string }[];
}
interface EndpointView {
  active: boolean;
  disabledReason: string | null;
  disabledBy: string | null;
}

/**
 * Delivery disables an endpoint on its own when its receiver answers 410 Gone. Before, only
 * delivery knew: the registry (and the console reading it) showed the endpoint active, and
 * enabling it there did not make delivery send again. Now the registry mirrors the disable with
 * who and why, workflow fails the stage fast, and the registry's enable is the one enable path.
 */
describe("delivery's own disable, seen and undone through the registry", () => {
  let platform: Platform | undefined;
  let receiver: TestReceiver | undefined;
  afterAll(async () => {
    await platform?.stop();
    await receiver?.close();
  });

  it('shows the endpoint disabled by service:delivery, fails stages fast, and sends again once enabled in the registry', async () => {
    receiver = await TestReceiver.start();
    receiver.next('/gone', answer.status(410));
    platform = await Platform.start({ env: { delivery: { DISPATCH_POLL_MS: '50' } } });
    const call = platform.client('gone-project');
    const ok = async <T = Record<string, unknown>>(service: Parameters<typeof call>[0], method: string, path: string, body?: unknown): Promise<T> => {
      const res = await call<T>(service, method, path, body);
      if (res.status >= 300) throw new Error(`${method} ${service}${path} → ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };
    const endpoint = await ok<{ id: string }>('webhooks', 'POST', '/endpoints', { name: 'gone', url: `${receiver.url}/gone` });
    const workflow = await ok<Workflow>('workflow', 'POST', '/workflows/template', { name: 'Gone', endpointId: endpoint.id, maxAttempts: 3 });
    const stage = (type: string) => workflow.stages.find((s) => s.type === type)!.id;
    const dataset = await ok<{ id: string }>('items', 'POST', '/datasets', { name: 'Trays' });
    const { items } = await ok<{ items: { id: string }[] }>('items', 'POST', '/items', {
      datasetId: dataset.id,
      items: ['a.jpg', 'b.jpg', 'c.jpg'].map((name) => ({ name, width: 10, height: 10 })),
    });
    const [a, b, c] = items.map((i) => i.id);
    await ok('workflow', 'POST', `/workflows/${workflow.workflowId}/items`, { itemIds: [a, b, c] });
    const toWebhook = async (itemId: string) => {
      await ok('workflow', 'POST', `/workflows/${workflow.workflowId}/items/${itemId}/start`, {});
      await ok('workflow', 'POST', `/workflows/${workflow.workflowId}/items/${itemId}/submit`, {});
    };
    const position = async (itemId: string) => (await ok<{ stageId: string }>('workflow', 'GET', `/workflows/${workflow.workflowId}/items/${itemId}`)).stageId;
    const registry = () => ok<EndpointView>('webhooks', 'GET', `/endpoints/${endpoint.id}`);

    // 410 Gone: delivery disables the endpoint, and the registry says so, with who and why.
    await toWebhook(a);
    await until(async () => !(await registry()).active, { timeoutMs: 30_000, message: 'the registry mirrors the disable' });
    const disabled = await registry();
    expect(disabled.disabledBy).toBe('service:delivery');
    expect(disabled.disabledReason).toMatch(/410/);
    await until(async () => (await position(a)) === stage('review'), { timeoutMs: 30_000, message: 'a routed through failed' });

    // While disabled, a stage entry fails fast: nothing is sent.
    await toWebhook(b);
    await until(async () => (await position(b)) === stage('review'), { timeoutMs: 30_000, message: 'b failed fast' });
    expect(receiver.received('/gone')).toHaveLength(1);

    // The registry's enable brings delivery back: the next entry is delivered and succeeds.
    const enabled = await ok<EndpointView>('webhooks', 'POST', `/endpoints/${endpoint.id}/enable`);
    expect(enabled).toMatchObject({ active: true, disabledReason: null, disabledBy: null });
    await until(async () => !(await ok<{ disabled: boolean }>('delivery', 'GET', `/endpoints/${endpoint.id}/circuit`)).disabled, {
      timeoutMs: 30_000,
      message: "delivery's own disable cleared",
    });
    await toWebhook(c);
    // b's delivery, if workflow had not yet seen the disable when b entered, failed in delivery
    // because the endpoint was disabled, and the enable replays it: c's is not always the second.
    const itemOf = (r: { body: string }) => (JSON.parse(r.body) as { data: { itemId: string } }).data.itemId;
    await until(() => receiver!.received('/gone').some((r) => itemOf(r) === c), { timeoutMs: 30_000, message: 'c delivered' });
    expect(receiver.received('/gone').filter((r) => itemOf(r) === a)).toHaveLength(1);
    await until(async () => (await position(c)) === stage('review'), { timeoutMs: 30_000, message: 'c routed through succeeded' });
    const { visits } = await ok<{ visits: { stageId: string; outcome?: string }[] }>('workflow', 'GET', `/workflows/${workflow.workflowId}/items/${c}/history`);
    expect(JSON.stringify(visits.filter((v) => v.stageId === stage('webhook')))).toContain('succeeded');
  });
});
