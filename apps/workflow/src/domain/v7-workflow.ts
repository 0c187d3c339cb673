import type { StageType } from '@stagehook/contracts';
import { REQUIRED_EDGES, type StageInput } from './graph.js';

/** One thing of the V7 workflow the import could not carry over, and where it was. */
export interface ImportNote {
  path: string;
  message: string;
}

export type V7ImportResult = { ok: true; name: string; stages: StageInput[]; report: ImportNote[] } | { ok: false; problems: ImportNote[] };

const MAPPED_TYPES: Readonly<Record<string, StageType>> = { dataset: 'dataset', annotate: 'annotate', review: 'review', complete: 'complete', webhook: 'webhook' };
/** Config keys the import carries over (V7's stage config as darwin-py's fixtures show it). */
const MAPPED_CONFIG = new Set(['x', 'y', 'url', 'authorization_header', 'include_annotations', 'retry_if_fails']);
/** Workflow fields that describe V7's own bookkeeping, not the graph: nothing to carry, nothing to report. */
const BOOKKEEPING = new Set(['id', 'name', 'stages', 'inserted_at', 'updated_at', 'progress', 'thumbnails', 'team_id']);
const ID = /^[A-Za-z0-9_-]{1,128}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A value that says something (V7 sends every config key, most of them null, false or empty). */
const meaningful = (v: unknown): boolean =>
  v !== null && v !== undefined && v !== false && v !== '' && !(Array.isArray(v) && v.length === 0) && !(isObject(v) && Object.keys(v).length === 0);
const short = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};

/**
 * V7's workflow JSON (`stages[]` with `id`, `name`, `type`, `config`, `edges[]` of `name`,
 * `source_stage_id`, `target_stage_id`) as Stagehook stages. Best effort, like an editor's import:
 * what cannot be carried over (consensus, model, logic stages, edges to stages that are not there,
 * config without an equivalent) is listed in the report with its path, and the graph is completed
 * so it still runs — a dataset stage feeds the first stage when there is none, and edges without a
 * target lead to a complete stage. Only a document that is not a V7 workflow at all is refused.
 */
export function fromV7Workflow(doc: unknown): V7ImportResult {
  if (!isObject(doc)) return { ok: false, problems: [{ path: '', message: 'a V7 workflow is a JSON object' }] };
  if (!Array.isArray(doc.stages) || doc.stages.length === 0) return { ok: false, problems: [{ path: 'stages', message: 'a V7 workflow has a non-empty stages array' }] };
  if (doc.stages.length > 98) return { ok: false, problems: [{ path: 'stages', message: 'at most 98 stages can be imported' }] };
  const problems: ImportNote[] = [];
  const report: ImportNote[] = [];
  const name = typeof doc.name === 'string' && doc.name.length > 0 ? doc.name.slice(0, 200) : 'Imported V7 workflow';
  for (const key of Object.keys(doc)) {
    if (BOOKKEEPING.has(key) || !meaningful(doc[key])) continue;
    report.push({
      path: key,
      message: key === 'dataset' ? "the workflow's V7 dataset is not linked; register the items in Stagehook and add them to the workflow" : `not imported (${short(doc[key])})`,
    });
  }

  const raw = doc.stages as unknown[];
  const ids = new Set<string>();
  for (const [i, s] of raw.entries()) {
    if (!isObject(s)) problems.push({ path: `stages[${i}]`, message: 'a stage is an object' });
    else if (typeof s.id !== 'string' || !ID.test(s.id)) problems.push({ path: `stages[${i}].id`, message: 'a stage id is a string of letters, digits, - and _' });
    else if (ids.has(s.id)) problems.push({ path: `stages[${i}].id`, message: `duplicate stage id '${s.id}'` });
    else ids.add(s.id);
  }
  if (problems.length > 0) return { ok: false, problems };
  const v7 = raw as Array<Record<string, unknown> & { id: string }>;

  // Stages that come over, by V7 id; the others are reported and their incoming edges redirected.
  const kept = new Map<string, StageInput>();
  for (const [i, s] of v7.entries()) {
    const type = typeof s.type === 'string' ? MAPPED_TYPES[s.type] : undefined;
    const config = isObject(s.config) ? s.config : {};
    if (!type) {
      report.push({
        path: `stages[${i}].type`,
        message: `${short(s.type)} stages have no Stagehook equivalent; stage '${s.id}' was left out and edges into it lead to the complete stage`,
      });
      continue;
    }
    if (type === 'webhook' && (typeof config.url !== 'string' || config.url.length === 0)) {
      report.push({ path: `stages[${i}].config.url`, message: `webhook stage '${s.id}' has no url; it was left out and edges into it lead to the complete stage` });
      continue;
    }
    for (const key of Object.keys(config)) {
      if (!MAPPED_CONFIG.has(key) && meaningful(config[key])) report.push({ path: `stages[${i}].config.${key}`, message: `not imported (${short(config[key])})` });
    }
    if (Array.isArray(s.assignable_users) && s.assignable_users.length > 0) report.push({ path: `stages[${i}].assignable_users`, message: 'assignments are not imported' });
    const position =
      typeof config.x === 'number' && typeof config.y === 'number' && Number.isFinite(config.x) && Number.isFinite(config.y) ? { x: config.x, y: config.y } : undefined;
    kept.set(s.id, {
      id: s.id,
      name: typeof s.name === 'string' && s.name.length > 0 ? s.name.slice(0, 200) : type,
      type,
      edges: [],
      ...(position ? { position } : {}),
      ...(type === 'webhook'
        ? {
            webhook: {
              url: config.url as string,
              ...(typeof config.authorization_header === 'string' && config.authorization_header.length > 0 ? { authorizationHeader: config.authorization_header } : {}),
              ...(typeof config.include_annotations === 'boolean' ? { includeAnnotations: config.include_annotations } : {}),
              ...(typeof config.retry_if_fails === 'boolean' ? { retryIfFails: config.retry_if_fails } : {}),
            },
          }
        : {}),
    });
  }

  const fresh = (base: string) => {
    let id = base;
    for (let n = 2; kept.has(id) || ids.has(id); n++) id = `${base}-${n}`;
    return id;
  };
  let complete = [...kept.values()].find((s) => s.type === 'complete')?.id;
  const completeId = () => {
    if (complete) return complete;
    complete = fresh('imported-complete');
    kept.set(complete, { id: complete, name: 'Complete', type: 'complete', edges: [] });
    report.push({ path: 'stages', message: `a complete stage '${complete}' was added for edges that had nowhere to go` });
    return complete;
  };

  for (const [i, s] of v7.entries()) {
    const stage = kept.get(s.id);
    if (!stage || stage.type === 'complete') continue;
    const allowed = REQUIRED_EDGES[stage.type];
    const edges: Array<{ name: string; to: string }> = [];
    for (const [j, e] of (Array.isArray(s.edges) ? s.edges : []).entries()) {
      const path = `stages[${i}].edges[${j}]`;
      if (!isObject(e) || typeof e.name !== 'string' || typeof e.target_stage_id !== 'string') {
        report.push({ path, message: 'not an edge (name and target_stage_id are strings); left out' });
        continue;
      }
      if (!allowed.includes(e.name)) {
        report.push({ path: `${path}.name`, message: `a ${stage.type} stage has no '${e.name}' output in Stagehook (it has ${allowed.join(', ')}); left out` });
        continue;
      }
      if (edges.some((x) => x.name === e.name)) {
        report.push({ path: `${path}.name`, message: `a second '${e.name}' edge; only the first is kept` });
        continue;
      }
      let to = e.target_stage_id;
      const target = kept.get(to);
      if (!target || target.type === 'dataset') {
        to = completeId();
        report.push({
          path: `${path}.target_stage_id`,
          message: `stage '${e.target_stage_id}' ${target ? 'is the dataset stage' : 'is not in the imported workflow'}; the edge leads to '${to}'`,
        });
      }
      edges.push({ name: e.name, to });
    }
    for (const required of allowed) {
      if (edges.some((e) => e.name === required)) continue;
      const to = completeId();
      edges.push({ name: required, to });
      report.push({ path: `stages[${i}].edges`, message: `stage '${s.id}' had no '${required}' edge; it leads to '${to}'` });
    }
    stage.edges = edges;
  }

  if (![...kept.values()].some((s) => s.type === 'dataset')) {
    // V7's initial stage is the first one that no edge leads to (the darwin-py fixtures list it first).
    const targets = new Set([...kept.values()].flatMap((s) => s.edges.map((e) => e.to)));
    const first = [...kept.values()].find((s) => s.type !== 'complete' && !targets.has(s.id)) ?? [...kept.values()].find((s) => s.type !== 'complete');
    const id = fresh('imported-dataset');
    kept.set(id, { id, name: 'Dataset', type: 'dataset', edges: [{ name: 'default', to: first?.id ?? completeId() }] });
    report.push({ path: 'stages', message: `the workflow had no dataset stage; '${id}' was added, leading to '${first?.id ?? complete}'` });
  }
  return { ok: true, name, stages: [...kept.values()], report };
}
