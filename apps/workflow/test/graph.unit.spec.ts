import { describe, expect, it } from '@jest/globals';
import { given } from '@stagehook/event-store';
import { definitionDecider } from '../src/domain/definition.decider.js';
import { InvalidWorkflowError } from '../src/domain/errors.js';
import { type Stage, templateStages, validateGraph } from '../src/domain/graph.js';

const seq = () => {
  let n = 0;
  return () => `s${++n}`;
};
const template = (): Stage[] => templateStages({ endpointId: 'ep1', ids: seq() });

describe('graph validation', () => {
  it('accepts the template (a reject loop is not a problem)', () => {
    expect(validateGraph(template())).toEqual([]);
  });

  it('lists every problem, not only the first', () => {
    const stages: Stage[] = [
      { id: 'd1', name: 'D1', type: 'dataset', edges: [{ name: 'default', to: 'a' }] },
      { id: 'd2', name: 'D2', type: 'dataset', edges: [{ name: 'default', to: 'a' }] },
      { id: 'a', name: 'A', type: 'annotate', edges: [{ name: 'default', to: 'nowhere' }] },
      { id: 'r', name: 'R', type: 'review', edges: [{ name: 'approve', to: 'a' }] },
      {
        id: 'w',
        name: 'W',
        type: 'webhook',
        edges: [
          { name: 'succeeded', to: 'a' },
          { name: 'failed', to: 'a' },
        ],
      },
    ];
    const problems = validateGraph(stages);
    expect(problems).toEqual(
      expect.arrayContaining([
        'exactly one dataset stage is required (found 2)',
        'at least one complete stage is required',
        "stage 'a': edge 'default' points at unknown stage 'nowhere'",
        "stage 'r': required edge 'reject' is missing",
        "stage 'w': a webhook stage must name an endpoint",
      ]),
    );
    expect(problems).toHaveLength(5);
  });

  it('refuses unreachable stages, edges out of complete, unknown edge names and duplicate ids', () => {
    const stages = template();
    stages.push({ id: 'island', name: 'Island', type: 'complete', edges: [{ name: 'default', to: stages[1].id }] });
    stages.push({ id: 's2', name: 'Dup', type: 'annotate', edges: [{ name: 'sideways', to: 's5' }] });
    const problems = validateGraph(stages);
    expect(problems).toEqual(
      expect.arrayContaining([
        "stage 'island' is not reachable from the dataset stage",
        "stage 'island': a complete stage has no outputs",
        "stages[6]: duplicate stage id 's2'",
        "stage 's2': a annotate stage has no edge 'sideways' (allowed: default)",
        "stage 's2': required edge 'default' is missing",
      ]),
    );
  });

  it('refuses an edge back into the dataset stage and webhook config on other stages', () => {
    const stages = template();
    stages[3] = {
      ...stages[3],
      edges: [
        { name: 'approve', to: 's5' },
        { name: 'reject', to: 's1' },
      ],
    };
    stages[1] = { ...stages[1], webhook: { endpointId: 'ep' } };
    expect(validateGraph(stages)).toEqual(["stage 's2': only webhook stages take webhook config", "stage 's4': edge 'reject' points back at the dataset stage"]);
  });
});

describe('definition decider', () => {
  const now = new Date('2026-01-01T00:00:00.000Z');
  const created = {
    type: 'workflow.definition.created' as const,
    data: { workflowId: 'w1', projectId: 'p1', version: 1, name: 'T', stages: template(), at: now.toISOString() },
  };

  it('creates version 1', () => {
    given(definitionDecider).when({ type: 'CreateDefinition', workflowId: 'w1', projectId: 'p1', name: 'T', stages: template(), now }).then([created]);
  });

  it('refuses an invalid graph with every problem', () => {
    given(definitionDecider)
      .when({ type: 'CreateDefinition', workflowId: 'w1', projectId: 'p1', name: 'T', stages: [], now })
      .thenThrows(InvalidWorkflowError, /dataset.*complete/);
  });

  it('an edit makes a new version and keeps the old one readable', () => {
    const stages = template().map((s) => (s.type === 'webhook' ? { ...s, webhook: { endpointId: 'ep2' } } : s));
    given(definitionDecider, [created])
      .when({ type: 'UpdateDefinition', name: 'T2', stages, now })
      .then([{ type: 'workflow.definition.updated', data: { workflowId: 'w1', projectId: 'p1', version: 2, name: 'T2', stages, at: now.toISOString() } }]);
    const state = [created, { type: 'workflow.definition.updated' as const, data: { ...created.data, version: 2, stages } }].reduce(
      (s, e) => definitionDecider.evolve(s, e),
      definitionDecider.initialState(),
    );
    expect(state.versions.get(1)).toEqual(template());
    expect(state.version).toBe(2);
  });
});
