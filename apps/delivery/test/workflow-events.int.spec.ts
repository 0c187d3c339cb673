import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestReceiver } from '@stagehook/testing';
import { Harness } from './support/harness.js';

const P = 'proj-wf-events';

describe('workflow event subscriptions', () => {
  const h = new Harness('wfevents');
  let rx: TestReceiver;

  beforeAll(async () => {
    await h.setUp();
    rx = await TestReceiver.start();
    await h.boot();
  });

  afterAll(async () => {
    await h.tearDown();
    await rx.close();
  });

  it('delivers stage-left and item-completed events to the endpoints subscribed to them, filtered by workflow', async () => {
    await h.registerEndpoint(P, `${rx.url}/completed`, { endpointId: 'ep_completed', eventTypes: ['workflow.item.completed'] });
    await h.registerEndpoint(P, `${rx.url}/all-wf`, { endpointId: 'ep_all_wf', eventTypes: ['workflow.*'], filters: { workflowIds: ['wf_1'] } });
    const itemId = `it_${randomUUID().slice(0, 8)}`;
    const visitId = randomUUID();
    const now = new Date().toISOString();
    await h.publish(
      'workflow.stage.left',
      { workflowId: 'wf_1', stageId: 'review', stageType: 'review', itemId, visitId, projectId: P, edge: 'approve', toStageId: 'complete', leftAt: now },
      P,
      `visit-${visitId}`,
    );
    await h.publish('workflow.item.completed', { workflowId: 'wf_1', itemId, projectId: P, visitId, completedAt: now }, P, `visit-${visitId}`);
    await h.publish('workflow.item.completed', { workflowId: 'wf_2', itemId, projectId: P, visitId: randomUUID(), completedAt: now }, P, `visit-other-${visitId}`);

    await rx.waitFor(2, '/completed');
    await rx.waitFor(2, '/all-wf');
    const bodies = (path: string) => rx.received(path).map((r) => JSON.parse(r.body) as { type: string; data: { workflowId: string } });
    expect(
      bodies('/completed')
        .map((b) => b.data.workflowId)
        .sort(),
    ).toEqual(['wf_1', 'wf_2']);
    expect(
      bodies('/all-wf')
        .map((b) => b.type)
        .sort(),
    ).toEqual(['workflow.item.completed', 'workflow.stage.left']);
    expect(bodies('/all-wf').every((b) => b.data.workflowId === 'wf_1')).toBe(true);
    const ids = rx.received('/completed').map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(2);
  });
});
