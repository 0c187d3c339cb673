import { describe, expect, it } from '@jest/globals';
import type { CloudEvent } from '@stagehook/contracts';
import type { BatchContext, BatchItem } from '@stagehook/messaging';
import { CreateDeliveriesHandler } from '../src/commands/create-deliveries/create-deliveries.handler.js';
import type { DeliveryHandoff, HandoffCandidate } from '../src/commands/shared/handoff.js';
import type { ClaimedDelivery, DeliveryQueue, NewDelivery, NewMessage } from '../src/persistence/delivery-queue.repository.js';
import type { EndpointReadRepository, EndpointView } from '../src/persistence/endpoint-read.repository.js';

const endpoint = (id: string, deliverable = true) =>
  ({ id, projectId: 'p1', deliverable, state: { endpointId: id, eventTypes: ['item.status.changed'], filters: {}, retryPolicy: null } }) as unknown as EndpointView;

const item = (id: string): BatchItem => ({
  event: { id, type: 'item.status.changed', time: '2026-12-02T00:00:00Z', data: { projectId: 'p1', itemId: `it-${id}`, from: 'new', to: 'done' } } as unknown as CloudEvent,
  deliveryCount: 1,
  streamSequence: 1,
  subject: 's',
});

/** A dispatcher that takes every candidate but those to `full`, recording what intake does with them. */
function handoff(): DeliveryHandoff & { reserved: string[]; adopted: string[]; unreserved: string[]; abandoned: string[]; woken: number } {
  return {
    node: 'n1',
    leaseMs: 30_000,
    reserved: [],
    adopted: [],
    unreserved: [],
    abandoned: [],
    woken: 0,
    reserve(candidates: HandoffCandidate[]) {
      const taken = candidates.filter((c) => c.endpointId !== 'full').map((c) => c.id);
      this.reserved.push(...taken);
      return new Set(taken);
    },
    adopt(deliveries: ClaimedDelivery[]) {
      this.adopted.push(...deliveries.map((d) => d.id));
    },
    unreserve(ids: Iterable<string>) {
      this.unreserved.push(...ids);
    },
    abandon(ids: Iterable<string>) {
      this.abandoned.push(...ids);
    },
    wake() {
      this.woken++;
    },
  };
}

/** Intake over fakes: `create` answers which messages were written (or throws); the batch's callbacks are kept. */
function intake(endpoints: EndpointView[], create: (messages: { msg: NewMessage; deliveries: NewDelivery[] }[]) => Set<string>) {
  const dispatch = handoff();
  const writes: { leased: string[] }[] = [];
  const queue = {
    createMessages: async (_m: unknown, messages: { msg: NewMessage; deliveries: NewDelivery[] }[], lease?: { ids: ReadonlySet<string> }) => {
      writes.push({ leased: [...(lease?.ids ?? [])] });
      return create(messages);
    },
  } as unknown as DeliveryQueue;
  const reads = { listForProject: async () => endpoints } as unknown as EndpointReadRepository;
  const tags = { tagsOf: async () => [] };
  const handler = new CreateDeliveriesHandler(
    queue,
    reads,
    tags as never,
    {} as never,
    {} as never,
    {
      retryDefaults: { standard: { maxAttempts: 3, scheduleMs: [0, 1000] }, stage: { maxAttempts: 5, scheduleMs: [0] } },
      serviceName: 'delivery',
      unknownEndpointRetries: 3,
    } as never,
    dispatch,
  );
  const batch = handler.batch(['item.status.changed'], (e, scope) => handler.subscribable(e, scope));
  const after: { committed: () => void; otherwise?: () => void }[] = [];
  const ctx = { manager: {}, afterCommit: (committed: () => void, otherwise?: () => void) => after.push({ committed, otherwise }) } as unknown as BatchContext;
  return { dispatch, writes, after, run: (items: BatchItem[]) => batch.handle(items, ctx) };
}

describe('intake hands its new deliveries to the dispatcher', () => {
  it('leases what got a slot, hands it over at the commit, and wakes the claim for the rest', async () => {
    const t = intake([endpoint('ep-1'), endpoint('full'), endpoint('off', false)], (ms) => new Set(ms.map((m) => m.msg.id)));
    await t.run([item('e1'), item('e2')]);
    // Two events × (ep-1 with a slot, `full` without one); the undeliverable endpoint is not matched.
    expect(t.dispatch.reserved).toHaveLength(2);
    expect(t.writes).toEqual([{ leased: t.dispatch.reserved }]);
    expect(t.dispatch.adopted).toEqual([]);
    t.after[0].committed();
    expect(t.dispatch.adopted.sort()).toEqual([...t.dispatch.reserved].sort());
    expect(t.dispatch.woken).toBe(1);
    expect(t.dispatch.unreserved).toEqual([]);
  });

  it("gives back at once the slots of a message that was not written (its trigger's message existed)", async () => {
    const t = intake([endpoint('ep-1')], (ms) => new Set([ms[0].msg.id]));
    await t.run([item('e1'), item('e2')]);
    const [kept, skipped] = t.dispatch.reserved;
    expect(t.dispatch.unreserved).toEqual([skipped]);
    t.after[0].committed();
    expect(t.dispatch.adopted).toEqual([kept]);
    expect(t.dispatch.woken).toBe(0);
  });

  it('abandons every slot (the dispatcher hands back any row that did commit) when the transaction does not commit', async () => {
    const t = intake([endpoint('ep-1')], () => {
      throw new Error('connection lost');
    });
    await expect(t.run([item('e1')])).rejects.toThrow('connection lost');
    t.after[0].otherwise?.();
    expect(t.dispatch.reserved).toHaveLength(1);
    expect(t.dispatch.abandoned).toEqual(t.dispatch.reserved);
    expect(t.dispatch.adopted).toEqual([]);
  });
});
