import { describe, expect, it } from '@jest/globals';
import type { EndpointFiltersData, EndpointStateData } from '@stagehook/contracts';
import { matchEndpoints, mayReach, type MatchedEvent } from '../src/commands/create-deliveries/matching.js';
import type { EndpointView } from '../src/persistence/endpoint-read.repository.js';

function endpoint(id: string, eventTypes: string[], filters: EndpointFiltersData = {}, deliverable = true): EndpointView {
  const sealed = { kid: 'k1', iv: 'aa==', tag: 'aa==', ct: 'aa==' };
  const state: EndpointStateData = {
    endpointId: id,
    projectId: 'p1',
    name: id,
    url: 'https://example.com/hook',
    eventTypes,
    filters,
    includeAnnotations: false,
    timeoutMs: 5_000,
    retryPolicy: null,
    headers: [],
    active: deliverable,
    disabledReason: null,
    authorization: null,
    signingSecrets: { current: sealed, previous: null },
    at: '2026-01-01T00:00:00.000Z',
  };
  return { id, projectId: 'p1', state, deliverable, disabledAt: null, disabledReason: null, failingSince: null, lastSuccessAt: null };
}

const statusChanged = (to = 'done', itemId: string | undefined = 'it_1'): MatchedEvent => ({
  type: 'item.status.changed',
  data: { ...(itemId ? { itemId } : {}), datasetId: 'ds_1', projectId: 'p1', from: 'new', to },
});

/** A tag loader that counts its calls. */
function loader(tags: string[]) {
  const calls: string[] = [];
  return { calls, load: async (itemId: string) => (calls.push(itemId), tags) };
}

const ids = (eps: EndpointView[]) => eps.map((e) => e.id);

describe('matchEndpoints', () => {
  it('never loads the item tags when no endpoint has a tags filter', async () => {
    const l = loader(['urgent']);
    const eps = [endpoint('all', ['*']), endpoint('done', ['item.status.changed'], { toStatuses: ['done'] })];
    expect(ids(await matchEndpoints(eps, statusChanged('done'), l.load))).toEqual(['all', 'done']);
    expect(l.calls).toEqual([]);
  });

  it('loads the tags once and delivers to a tag-filtered endpoint only when the item carries one of its tags', async () => {
    const eps = [endpoint('all', ['item.*']), endpoint('urgent', ['item.status.changed'], { tags: ['urgent', 'vip'] })];
    const tagged = loader(['blurry', 'urgent']);
    expect(ids(await matchEndpoints(eps, statusChanged(), tagged.load))).toEqual(['all', 'urgent']);
    expect(tagged.calls).toEqual(['it_1']);
    const untagged = loader([]);
    expect(ids(await matchEndpoints(eps, statusChanged(), untagged.load))).toEqual(['all']);
    const otherTags = loader(['blurry']);
    expect(ids(await matchEndpoints(eps, statusChanged(), otherTags.load))).toEqual(['all']);
  });

  it('skips the query when the tag-filtered endpoints fail another test first', async () => {
    const l = loader(['urgent']);
    const eps = [
      endpoint('other-type', ['workflow.*'], { tags: ['urgent'] }),
      endpoint('other-status', ['item.status.changed'], { tags: ['urgent'], toStatuses: ['to_review'] }),
      endpoint('disabled', ['item.*'], { tags: ['urgent'] }, false),
    ];
    expect(await matchEndpoints(eps, statusChanged('done'), l.load)).toEqual([]);
    expect(l.calls).toEqual([]);
  });

  it('does not apply a tags filter to events about no item', async () => {
    const l = loader([]);
    const eps = [endpoint('urgent', ['*'], { tags: ['urgent'] })];
    const workflowEvent: MatchedEvent = { type: 'workflow.stage.left', data: { workflowId: 'wf_1', projectId: 'p1' } };
    expect(ids(await matchEndpoints(eps, workflowEvent, l.load))).toEqual(['urgent']);
    expect(l.calls).toEqual([]);
  });

  it('filters workflow stage entries about an item by its tags too', async () => {
    const eps = [endpoint('urgent', ['workflow.stage.entered'], { tags: ['urgent'] })];
    const entered: MatchedEvent = { type: 'workflow.stage.entered', data: { workflowId: 'wf_1', itemId: 'it_9', projectId: 'p1' } };
    expect(ids(await matchEndpoints(eps, entered, loader(['urgent']).load))).toEqual(['urgent']);
    expect(await matchEndpoints(eps, entered, loader([]).load)).toEqual([]);
  });
});

describe('mayReach (intake acks events it is false for without a transaction)', () => {
  it('is true wherever matchEndpoints could match: a tags filter counts, whatever the tags', async () => {
    const tagged = endpoint('ep-tags', ['item.status.changed'], { tags: ['urgent'] });
    expect(mayReach([tagged], statusChanged())).toBe(true);
    expect(await matchEndpoints([tagged], statusChanged(), async () => ['urgent'])).toHaveLength(1);
  });

  it('is false for an event no deliverable endpoint subscribes to', () => {
    expect(mayReach([endpoint('ep-other', ['item.annotation.added'])], statusChanged())).toBe(false);
    expect(mayReach([endpoint('ep-off', ['item.status.changed'], {}, false)], statusChanged())).toBe(false);
    expect(mayReach([], statusChanged())).toBe(false);
  });
});
