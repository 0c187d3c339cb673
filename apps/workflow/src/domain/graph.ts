import { randomUUID } from 'node:crypto';
import type { StageType } from '@stagehook/contracts';

/** A stage that holds its own url: the registry manages an endpoint for it (V7 stage config). */
export interface ManagedWebhook {
  url: string;
  /** The header itself lives sealed in the registry only. */
  authorizationHeaderSet: boolean;
}

/** A definition's graph as plain data (the contracts' classes without their prototypes). */
export interface Stage {
  id: string;
  name: string;
  type: StageType;
  edges: Array<{ name: string; to: string }>;
  webhook?: WebhookStage;
  /** Dataset stages: the dataset whose newly registered items enter the workflow by themselves. */
  datasetId?: string;
  /** Where the editor draws it (V7's config.x / config.y). */
  position?: { x: number; y: number };
}

export interface WebhookStage {
  endpointId: string;
  maxAttempts?: number;
  includeAnnotations?: boolean;
  /** Apply annotations from the receiver's 2xx body before routing `succeeded` (write-back). */
  writeBack?: boolean;
  managed?: ManagedWebhook;
}

/**
 * A stage as a client sends it: a webhook stage names an existing endpoint or holds its own url
 * and authorization header (then the save turns them into a managed endpoint's id).
 */
export interface StageInput {
  id: string;
  name: string;
  type: StageType;
  edges: ReadonlyArray<{ name: string; to: string }>;
  position?: { x: number; y: number };
  datasetId?: string;
  webhook?: {
    endpointId?: string;
    url?: string;
    authorizationHeader?: string | null;
    maxAttempts?: number;
    includeAnnotations?: boolean;
    writeBack?: boolean;
    /** V7's retry_if_fails: false sends once; true (or absent) retries on the stage schedule. */
    retryIfFails?: boolean;
  };
}

/** What the registry answered for a stage holding its own url. */
export interface ResolvedEndpoint {
  endpointId: string;
  managed: ManagedWebhook;
}

export type Graph = readonly Stage[];

/** The outputs each stage type must have, as V7 names them; `complete` has none. */
export const REQUIRED_EDGES: Readonly<Record<StageType, readonly string[]>> = {
  dataset: ['default'],
  annotate: ['default'],
  review: ['approve', 'reject'],
  webhook: ['succeeded', 'failed'],
  complete: [],
};

/**
 * Every problem of a graph, not only the first: a client fixes them all in one round. Empty when
 * the graph is valid. Cycles are allowed on purpose (review → reject → annotate is the point).
 */
export function validateGraph(stages: Graph): string[] {
  const problems: string[] = [];
  const byId = new Map<string, Stage>();
  for (const [i, s] of stages.entries()) {
    if (byId.has(s.id)) problems.push(`stages[${i}]: duplicate stage id '${s.id}'`);
    else byId.set(s.id, s);
  }
  const datasets = stages.filter((s) => s.type === 'dataset');
  if (datasets.length !== 1) problems.push(`exactly one dataset stage is required (found ${datasets.length})`);
  if (!stages.some((s) => s.type === 'complete')) problems.push('at least one complete stage is required');

  for (const s of stages) {
    const required = REQUIRED_EDGES[s.type];
    const seen = new Set<string>();
    for (const e of s.edges) {
      if (seen.has(e.name)) problems.push(`stage '${s.id}': edge '${e.name}' is given twice`);
      seen.add(e.name);
      if (s.type === 'complete') continue;
      if (!required.includes(e.name)) problems.push(`stage '${s.id}': a ${s.type} stage has no edge '${e.name}' (allowed: ${required.join(', ')})`);
      else if (!byId.has(e.to)) problems.push(`stage '${s.id}': edge '${e.name}' points at unknown stage '${e.to}'`);
      else if (byId.get(e.to)?.type === 'dataset') problems.push(`stage '${s.id}': edge '${e.name}' points back at the dataset stage`);
    }
    if (s.type === 'complete' && s.edges.length > 0) problems.push(`stage '${s.id}': a complete stage has no outputs`);
    for (const name of required) {
      if (!seen.has(name)) problems.push(`stage '${s.id}': required edge '${name}' is missing`);
    }
    if (s.type === 'webhook' && !s.webhook?.endpointId) problems.push(`stage '${s.id}': a webhook stage must name an endpoint`);
    if (s.type !== 'webhook' && s.webhook) problems.push(`stage '${s.id}': only webhook stages take webhook config`);
    if (s.type !== 'dataset' && s.datasetId !== undefined) problems.push(`stage '${s.id}': only the dataset stage takes a datasetId`);
  }

  if (datasets.length === 1) {
    const reached = new Set<string>([datasets[0].id]);
    const queue = [datasets[0].id];
    while (queue.length > 0) {
      const s = byId.get(queue.shift() as string);
      for (const e of s?.edges ?? []) {
        if (byId.has(e.to) && !reached.has(e.to)) {
          reached.add(e.to);
          queue.push(e.to);
        }
      }
    }
    for (const s of byId.values()) {
      if (!reached.has(s.id)) problems.push(`stage '${s.id}' is not reachable from the dataset stage`);
    }
  }
  return problems;
}

export function stageById(graph: Graph, id: string): Stage | undefined {
  return graph.find((s) => s.id === id);
}

export function edgeTarget(stage: Stage, edge: string): string | undefined {
  return stage.edges.find((e) => e.name === edge)?.to;
}

export function datasetStage(graph: Graph): Stage {
  const s = graph.find((x) => x.type === 'dataset');
  if (!s) throw new Error('a stored workflow always has a dataset stage');
  return s;
}

export interface TemplateOptions {
  endpointId: string;
  maxAttempts?: number;
  includeAnnotations?: boolean;
  /** Stage ids; random when absent (tests pass fixed ones). */
  ids?: () => string;
}

/**
 * The seed video's workflow: dataset → annotate → webhook → review → complete, the webhook's
 * `failed` edge also going to review, and review's `reject` back to annotate.
 */
export function templateStages({ endpointId, maxAttempts, includeAnnotations, ids = randomUUID }: TemplateOptions): Stage[] {
  const [dataset, annotate, webhook, review, complete] = [ids(), ids(), ids(), ids(), ids()];
  return [
    { id: dataset, name: 'Dataset', type: 'dataset', edges: [{ name: 'default', to: annotate }] },
    { id: annotate, name: 'Annotate', type: 'annotate', edges: [{ name: 'default', to: webhook }] },
    {
      id: webhook,
      name: 'Webhook',
      type: 'webhook',
      edges: [
        { name: 'succeeded', to: review },
        { name: 'failed', to: review },
      ],
      webhook: {
        endpointId,
        ...(maxAttempts !== undefined ? { maxAttempts } : {}),
        ...(includeAnnotations !== undefined ? { includeAnnotations } : {}),
      },
    },
    {
      id: review,
      name: 'Review',
      type: 'review',
      edges: [
        { name: 'approve', to: complete },
        { name: 'reject', to: annotate },
      ],
    },
    { id: complete, name: 'Complete', type: 'complete', edges: [] },
  ];
}

/**
 * Plain copies of validated DTOs, so events hold data, not class instances. `resolved` gives the
 * managed endpoint of each stage that holds its own url; the authorization header is dropped here
 * on purpose: it never reaches an event.
 */
export function toGraph(stages: readonly StageInput[], resolved: ReadonlyMap<string, ResolvedEndpoint> = new Map()): Stage[] {
  return stages.map((s) => {
    const managed = resolved.get(s.id);
    const w = s.webhook;
    const maxAttempts = w?.maxAttempts ?? (w?.retryIfFails === false ? 1 : undefined);
    return {
      id: s.id,
      name: s.name,
      type: s.type,
      edges: s.edges.map((e) => ({ name: e.name, to: e.to })),
      ...(w
        ? {
            webhook: {
              endpointId: managed?.endpointId ?? w.endpointId ?? '',
              ...(maxAttempts !== undefined ? { maxAttempts } : {}),
              ...(w.includeAnnotations !== undefined ? { includeAnnotations: w.includeAnnotations } : {}),
              ...(w.writeBack !== undefined ? { writeBack: w.writeBack } : {}),
              ...(managed ? { managed: { url: managed.managed.url, authorizationHeaderSet: managed.managed.authorizationHeaderSet } } : {}),
            },
          }
        : {}),
      ...(s.datasetId !== undefined ? { datasetId: s.datasetId } : {}),
      ...(s.position ? { position: { x: s.position.x, y: s.position.y } } : {}),
    };
  });
}

/** Managed endpoints of `before` that `after` no longer uses: the registry releases them. */
export function releasedEndpoints(before: Graph, after: Graph): string[] {
  const kept = new Set(after.flatMap((s) => (s.webhook?.managed ? [s.webhook.endpointId] : [])));
  return [...new Set(before.flatMap((s) => (s.webhook?.managed && !kept.has(s.webhook.endpointId) ? [s.webhook.endpointId] : [])))];
}

/** The dataset a workflow's dataset stage is bound to, if any. */
export function boundDataset(graph: Graph): string | undefined {
  return graph.find((s) => s.type === 'dataset')?.datasetId;
}

/** The endpoints the graph's webhook stages name. */
export function webhookEndpoints(graph: Graph): string[] {
  return graph.flatMap((s) => (s.type === 'webhook' && s.webhook ? [s.webhook.endpointId] : []));
}
