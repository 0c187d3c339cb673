import { describe, expect, it } from '@jest/globals';
import { createLogger } from '@stagehook/platform';
import { ConsoleConfig } from './config.js';
import { type LiveBus, type LiveEvent, LiveFeed } from './live.js';

function feed(namespace = 'ns1') {
  const subjects: string[] = [];
  const nc: LiveBus = { subscribe: (subject: string) => (subjects.push(subject), { unsubscribe: () => undefined }) };
  const config = Object.assign(new ConsoleConfig(), { BUS_NAMESPACE: namespace });
  const live = new LiveFeed(nc, createLogger({ service: 'console', level: 'silent' }), config);
  return { live, subjects };
}

const envelope = (projectid: unknown, type = 'workflow.stage.entered', extra: Record<string, unknown> = {}) =>
  new TextEncoder().encode(
    JSON.stringify({ specversion: '1.0', id: 'e1', source: 'workflow', type, time: '2026-11-30T10:00:00.000Z', projectid, data: { itemId: 'i1' }, ...extra }),
  );

describe('live feed', () => {
  it("subscribes to the four services' subjects in its bus namespace, not to dead letters", () => {
    const { live, subjects } = feed();
    live.onModuleInit();
    expect(subjects.sort()).toEqual(['ns1.delivery.>', 'ns1.item.>', 'ns1.webhook.>', 'ns1.workflow.>']);
  });

  it('hands each project only its own events', () => {
    const { live } = feed();
    const a: LiveEvent[] = [];
    const b: LiveEvent[] = [];
    live.subscribe('project-a', (e) => a.push(e));
    live.subscribe('project-b', (e) => b.push(e));
    live.dispatch(envelope('project-a'));
    live.dispatch(envelope('project-b', 'item.registered'));
    live.dispatch(envelope('project-c'));
    expect(a).toEqual([{ id: 'e1', type: 'workflow.stage.entered', time: '2026-11-30T10:00:00.000Z', source: 'workflow', data: { itemId: 'i1' } }]);
    expect(b.map((e) => e.type)).toEqual(['item.registered']);
  });

  it('drops what is not an envelope with a string project id, and never matches by prefix or case', () => {
    const { live } = feed();
    const got: LiveEvent[] = [];
    live.subscribe('p1', (e) => got.push(e));
    for (const raw of [new TextEncoder().encode('not json'), envelope(undefined), envelope(['p1']), envelope('P1'), envelope('p10'), envelope('p1', 'x', { id: 7 })])
      live.dispatch(raw);
    expect(got).toEqual([]);
  });

  it('stops delivering to a listener once it unsubscribes', () => {
    const { live } = feed();
    const got: LiveEvent[] = [];
    const off = live.subscribe('p1', (e) => got.push(e));
    live.dispatch(envelope('p1'));
    off();
    live.dispatch(envelope('p1'));
    expect(got).toHaveLength(1);
    expect(live.listenerCount).toBe(0);
  });
});
