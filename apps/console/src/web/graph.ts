import type { StageType, StageView } from '@stagehook/sdk';

/** The outputs each stage type must have (apps/workflow/src/domain/graph.ts REQUIRED_EDGES). */
export const REQUIRED_EDGES: Readonly<Record<StageType, readonly string[]>> = {
  dataset: ['default'],
  annotate: ['default'],
  review: ['approve', 'reject'],
  webhook: ['succeeded', 'failed'],
  complete: [],
};

export const STAGE_TYPES = Object.keys(REQUIRED_EDGES) as StageType[];

export interface Problems {
  /** Problems that name a stage, by stage id (the workflow service names them `stage 'id'`). */
  byStage: Map<string, string[]>;
  /** Problems that name an edge, by `stageId/edgeName`. */
  byEdge: Map<string, string[]>;
  /** The rest: about the whole graph. */
  general: string[];
}

/** Sorts the workflow service's 422 problems onto the stages and edges they name. */
export function sortProblems(problems: readonly string[]): Problems {
  const out: Problems = { byStage: new Map(), byEdge: new Map(), general: [] };
  for (const p of problems) {
    const stage = /stage '([^']+)'/.exec(p)?.[1];
    if (!stage) {
      out.general.push(p);
      continue;
    }
    const edge = /edge '([^']+)'/.exec(p)?.[1];
    out.byStage.set(stage, [...(out.byStage.get(stage) ?? []), p]);
    if (edge) out.byEdge.set(`${stage}/${edge}`, [...(out.byEdge.get(`${stage}/${edge}`) ?? []), p]);
  }
  return out;
}

/** Columns by distance from the dataset stage; stages nothing reaches go in a last column. */
export function layout(stages: readonly StageView[]): Map<string, { x: number; y: number }> {
  const byId = new Map(stages.map((s) => [s.id, s]));
  const depth = new Map<string, number>();
  const start = stages.find((s) => s.type === 'dataset');
  if (start) {
    depth.set(start.id, 0);
    const queue = [start.id];
    while (queue.length > 0) {
      const id = queue.shift() as string;
      for (const e of byId.get(id)?.edges ?? []) {
        if (byId.has(e.to) && !depth.has(e.to)) {
          depth.set(e.to, (depth.get(id) ?? 0) + 1);
          queue.push(e.to);
        }
      }
    }
  }
  const maxDepth = Math.max(0, ...depth.values());
  const rows = new Map<number, number>();
  const out = new Map<string, { x: number; y: number }>();
  for (const s of stages) {
    const d = depth.get(s.id) ?? maxDepth + 1;
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    out.set(s.id, { x: d * 240, y: row * 140 + (d % 2) * 30 });
  }
  return out;
}

/** The output a new connection from `stage` takes: its first required output not yet wired. */
export function nextEdgeName(stage: StageView): string | undefined {
  const required = REQUIRED_EDGES[stage.type];
  return required.find((name) => !stage.edges.some((e) => e.name === name));
}
