import { describe, expect, it } from '@jest/globals';
import { boundDataset, type Stage, templateStages, toGraph, validateGraph } from '../src/domain/graph.js';

const seq = () => {
  let n = 0;
  return () => `s${++n}`;
};

describe('a dataset stage naming its dataset', () => {
  it('binds the workflow to that dataset', () => {
    const stages = templateStages({ endpointId: 'ep1', ids: seq() }).map((s) => (s.type === 'dataset' ? { ...s, datasetId: 'ds-1' } : s));
    expect(validateGraph(stages)).toEqual([]);
    expect(boundDataset(stages)).toBe('ds-1');
    expect(boundDataset(templateStages({ endpointId: 'ep1', ids: seq() }))).toBeUndefined();
  });

  it('refuses a datasetId on any other stage', () => {
    const stages: Stage[] = templateStages({ endpointId: 'ep1', ids: seq() }).map((s) => (s.type === 'annotate' ? { ...s, datasetId: 'ds-1' } : s));
    expect(validateGraph(stages)).toEqual([`stage 's2': only the dataset stage takes a datasetId`]);
  });

  it("keeps the datasetId and a webhook stage's writeBack when a saved definition is copied to data", () => {
    const graph = toGraph([
      { id: 'd', name: 'D', type: 'dataset', datasetId: 'ds-1', edges: [{ name: 'default', to: 'w' }] },
      { id: 'w', name: 'W', type: 'webhook', webhook: { endpointId: 'ep1', writeBack: true }, edges: [] },
    ]);
    expect(graph[0].datasetId).toBe('ds-1');
    expect(graph[1].webhook).toEqual({ endpointId: 'ep1', writeBack: true });
  });
});
