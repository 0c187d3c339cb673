import { describe, expect, it } from '@jest/globals';
import type { CloudEvent } from '@stagehook/contracts';
import { NothingToDo } from '@stagehook/messaging';
import { CreateDeliveriesHandler } from '../src/commands/create-deliveries/create-deliveries.handler.js';
import type { EndpointReadRepository, EndpointView } from '../src/persistence/endpoint-read.repository.js';

/** The project's endpoint list, answered when the test says: each call is one read. */
function endpointReads() {
  const reads: { resolve: (list: EndpointView[]) => void }[] = [];
  const repo = {
    listForProject: () => new Promise<EndpointView[]>((resolve) => reads.push({ resolve })),
  } as Pick<EndpointReadRepository, 'listForProject'>;
  return { reads, repo };
}

const subscriber = { id: 'ep-1', projectId: 'p1', deliverable: true, state: { eventTypes: ['item.status.changed'], filters: {} } } as unknown as EndpointView;
const event = (id: string): CloudEvent => ({ id, type: 'item.status.changed', data: { projectId: 'p1', itemId: 'it-1', from: 'new', to: 'done' } }) as unknown as CloudEvent;

describe('intake prepare of a subscribable event', () => {
  it('decides each event on a read begun after it arrived, one read shared by the events that arrived meanwhile', async () => {
    const { reads, repo } = endpointReads();
    const handler = new CreateDeliveriesHandler({} as never, repo as EndpointReadRepository, {} as never, {} as never, {} as never, {} as never, {} as never);
    const first = handler.prepareSubscribable(event('e1'));
    await Promise.resolve();
    // e2 and e3 arrive while the first read runs: it may predate them, so they wait for the next.
    const second = handler.prepareSubscribable(event('e2'));
    const third = handler.prepareSubscribable(event('e3'));
    expect(reads).toHaveLength(1);
    reads[0].resolve([]);
    await expect(first).resolves.toBe(NothingToDo);
    await new Promise((r) => setImmediate(r));
    expect(reads).toHaveLength(2);
    // An endpoint stored before e2 and e3 arrived is in the read they share.
    reads[1].resolve([subscriber]);
    await expect(second).resolves.toBeUndefined();
    await expect(third).resolves.toBeUndefined();
    expect(reads).toHaveLength(2);
    // Nothing running: the next event reads afresh.
    const fourth = handler.prepareSubscribable(event('e4'));
    await new Promise((r) => setImmediate(r));
    expect(reads).toHaveLength(3);
    reads[2].resolve([]);
    await expect(fourth).resolves.toBe(NothingToDo);
  });
});
