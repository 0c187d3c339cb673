import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { releasedEndpoints, toGraph, validateGraph, type ResolvedEndpoint, type Stage } from '../src/domain/graph.js';
import { fromV7Workflow } from '../src/domain/v7-workflow.js';

// darwin-py's own fixtures (see test/fixtures/darwin-py/README.md): documents V7 wrote.
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`./fixtures/darwin-py/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;
const stageConfig = (over: Record<string, unknown>) => ({ ...fixture('stage_config.json'), ...over });
/** What the registry would answer for each stage holding its own url. */
const managedAll = (stages: ReturnType<typeof toGraph> | Parameters<typeof toGraph>[0]): Map<string, ResolvedEndpoint> =>
  new Map(
    stages
      .filter((s) => s.webhook && 'url' in s.webhook && s.webhook.url)
      .map((s) => [s.id, { endpointId: `ep-${s.id}`, managed: { url: 'https://x.test/', authorizationHeaderSet: true } }]),
  );

describe('V7 workflow import', () => {
  it("turns darwin-py's one-stage workflow into a runnable graph and reports what it added and dropped", () => {
    const r = fromV7Workflow(fixture('workflow.json'));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.name).toBe('Basic workflow');
    expect(validateGraph(toGraph(r.stages))).toEqual([]);
    const annotate = r.stages.find((s) => s.id === 'e69d3ebe-6ab9-4159-b44f-2bf84d29bb20');
    expect(annotate).toMatchObject({ type: 'annotate', name: 'Annotate', position: { x: 20, y: 20 } });
    const paths = r.report.map((n) => n.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'dataset',
        'stages[0].config.assignable_to',
        'stages[0].config.model_type',
        'stages[0].assignable_users',
        'stages[0].edges[0].target_stage_id',
        'stages',
      ]),
    );
    // V7's null/false/empty defaults say nothing: they are not reported.
    expect(paths).not.toContain('stages[0].config.url');
    expect(paths).not.toContain('stages[0].config.rules');
  });

  it('maps a webhook stage with its url, authorization header, annotations and retry setting, and every edge name', () => {
    const doc = {
      name: 'QA',
      stages: [
        { id: 'ds', name: 'Dataset', type: 'dataset', config: stageConfig({ x: 0, y: 0 }), edges: [{ name: 'default', source_stage_id: 'ds', target_stage_id: 'an' }] },
        { id: 'an', name: 'Annotate', type: 'annotate', config: stageConfig({ assignable_to: null }), edges: [{ name: 'default', source_stage_id: 'an', target_stage_id: 'wh' }] },
        {
          id: 'wh',
          name: 'Webhook',
          type: 'webhook',
          config: stageConfig({
            url: 'https://example.com/hook',
            authorization_header: 'Bearer t0ken',
            include_annotations: true,
            retry_if_fails: false,
            assignable_to: null,
            model_type: null,
            x: 300,
            y: 40,
          }),
          edges: [
            { name: 'succeeded', source_stage_id: 'wh', target_stage_id: 'rv' },
            { name: 'failed', source_stage_id: 'wh', target_stage_id: 'cs' },
          ],
        },
        { id: 'cs', name: 'Consensus', type: 'consensus', config: stageConfig({}), edges: [] },
        {
          id: 'rv',
          name: 'Review',
          type: 'review',
          config: stageConfig({ assignable_to: null, model_type: null }),
          edges: [
            { name: 'approve', source_stage_id: 'rv', target_stage_id: 'cp' },
            { name: 'reject', source_stage_id: 'rv', target_stage_id: 'an' },
          ],
        },
        { id: 'cp', name: 'Complete', type: 'complete', config: stageConfig({ assignable_to: null, model_type: null }), edges: [] },
      ],
    };
    const r = fromV7Workflow(doc);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const webhook = r.stages.find((s) => s.id === 'wh');
    expect(webhook?.webhook).toEqual({ url: 'https://example.com/hook', authorizationHeader: 'Bearer t0ken', includeAnnotations: true, retryIfFails: false });
    expect(webhook?.edges).toEqual([
      { name: 'succeeded', to: 'rv' },
      { name: 'failed', to: 'cp' },
    ]);
    expect(r.stages.map((s) => s.id)).not.toContain('cs');
    expect(r.report).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'stages[3].type' }), expect.objectContaining({ path: 'stages[2].edges[1].target_stage_id' })]),
    );
    const graph = toGraph(r.stages, managedAll(r.stages));
    expect(validateGraph(graph)).toEqual([]);
    const saved = graph.find((s) => s.id === 'wh');
    // retry_if_fails false: one attempt; the header itself never reaches the graph (events).
    expect(saved?.webhook).toEqual({ endpointId: 'ep-wh', maxAttempts: 1, includeAnnotations: true, managed: { url: 'https://x.test/', authorizationHeaderSet: true } });
    expect(JSON.stringify(graph)).not.toContain('t0ken');
  });

  it('refuses a document that is not a V7 workflow, naming the path', () => {
    expect(fromV7Workflow({ stages: 'no' })).toEqual({ ok: false, problems: [{ path: 'stages', message: expect.any(String) }] });
    expect(fromV7Workflow({ stages: [{ id: 'a b' }] })).toEqual({ ok: false, problems: [{ path: 'stages[0].id', message: expect.any(String) }] });
  });
});

describe('managed stage endpoints', () => {
  const stage = (id: string, managed: boolean): Stage => ({
    id,
    name: id,
    type: 'webhook',
    edges: [],
    webhook: { endpointId: `ep-${id}`, ...(managed ? { managed: { url: 'https://x.test/', authorizationHeaderSet: false } } : {}) },
  });

  it('releases the endpoints of managed stages that a new version no longer has, and only those', () => {
    expect(releasedEndpoints([stage('a', true), stage('b', true), stage('c', false)], [stage('a', true)])).toEqual(['ep-b']);
  });
});
