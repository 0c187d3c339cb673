import { assertNever, WORKFLOW_ITEM_EVENT_TYPES, type EventData, type EventOf, type ItemSummary, type StageType, type WorkflowItemEventType } from '@stagehook/contracts';
import type { Decider, Snapshotting } from '@stagehook/event-store';
import { AlreadyInWorkflowError, ItemNotInWorkflowError, StaleVisitError, StageNotAllowedError } from './errors.js';
import { datasetStage, edgeTarget, type Graph, type Stage, stageById } from './graph.js';

/** Plain data of the catalog events of an item's stream, as the contracts define them. */
export type StageEntered = EventData<'workflow.stage.entered'>;
export type StageLeft = EventData<'workflow.stage.left'>;
export type ItemCompleted = EventData<'workflow.item.completed'>;
export type ItemParked = EventData<'workflow.item.parked'>;

export type ItemEvent = EventOf<WorkflowItemEventType>;

/** Why an endpoint cannot take deliveries, from the registry's events. */
export type EndpointUnusable = 'disabled' | 'deleted';

/** What every command that may enter a stage carries: all of it data, so `decide` stays pure. */
export interface MoveContext {
  /** The graph of the version the item runs on (AddItem: the latest version). */
  graph: Graph;
  now: Date;
  /** Fresh visit ids, used in order; one command may enter several stages (fail-fast, complete). */
  visitIds: readonly string[];
  /** The item's stream version as of this command (max of the client's and the items service's). */
  itemVersion: number;
  /**
   * The items service's summary of the item, when the command has one: a webhook stage entered
   * at exactly its version carries it, so delivery need not ask items for it again.
   */
  item?: ItemSummary;
  /** Endpoints known to be disabled or deleted; a webhook stage naming one fails fast. */
  unusableEndpoints?: Readonly<Record<string, EndpointUnusable>>;
  /** Who asked (a user id); recorded on `stage.left`. */
  by?: string;
  /** The visit the client acted on; refused if no longer current (optimistic concurrency). */
  expectedVisitId?: string;
}

/** Commands are imperatives, named for what the caller asks (`type`); the clock comes in as `now`. */
export type ItemCommand =
  | ({ type: 'AddItem'; workflowId: string; workflowVersion: number; projectId: string; itemId: string } & MoveContext)
  /** start (dataset), submit (annotate), approve / reject (review): the stage's named edge. */
  | ({ type: StageActionCommand } & MoveContext)
  | ({ type: 'MoveItem'; edge: string } & MoveContext)
  /** Admin: put the item in any stage, recording who and why. */
  | ({ type: 'SetStage'; stageId: string; by: string; reason: string } & MoveContext)
  /** A webhook visit's outcome (delivery's, or items' write-back): routes it through `succeeded` or `failed`. */
  | ({ type: 'RecordOutcome'; outcome: 'delivered' | 'failed'; visitId: string; deliveryId: string; lastError?: string | null } & MoveContext)
  /** The registry disabled or deleted the endpoint a waiting webhook visit depends on. */
  | ({ type: 'MarkEndpointUnusable'; visitId: string; endpointId: string; status: EndpointUnusable } & MoveContext)
  /** The endpoint a parked visit waits on can take deliveries again: the stage is entered afresh. */
  | ({ type: 'ResumeVisit'; visitId: string; endpointId: string } & MoveContext);

export interface CurrentVisit {
  visitId: string;
  stageId: string;
  stageType: StageType;
  stageName: string;
  /** Set while the visit is parked: the endpoint it waits on. */
  parkedOn?: string;
}

export interface ItemState {
  workflowId?: string;
  projectId?: string;
  itemId?: string;
  workflowVersion: number;
  current?: CurrentVisit;
  completed: boolean;
  /** Highest itemVersion frozen so far: a later entry never covers less. */
  itemVersion: number;
  visits: number;
}

/** The commands a stage's own action issues (HTTP: `POST …/items/:itemId/{start,submit,approve,reject}`). */
export type StageActionCommand = 'StartItem' | 'SubmitItem' | 'ApproveItem' | 'RejectItem';

/**
 * Which stage type each stage action is for, the edge it takes, and the verb a refusal names
 * (WIRE: the 409's message, e.g. "submit is not allowed in stage 'Review' (review)").
 */
const STAGE_ACTIONS = {
  StartItem: { verb: 'start', stageType: 'dataset', edge: 'default' },
  SubmitItem: { verb: 'submit', stageType: 'annotate', edge: 'default' },
  ApproveItem: { verb: 'approve', stageType: 'review', edge: 'approve' },
  RejectItem: { verb: 'reject', stageType: 'review', edge: 'reject' },
} as const satisfies Record<StageActionCommand, { verb: string; stageType: StageType; edge: string }>;

/**
 * An item's position is plain JSON and small, but its stream grows by every visit (an item
 * rejected back to annotate many times): commands fold only what came after the cached state or
 * the stored snapshot. Bump `version` whenever `evolve` or `ItemState` changes.
 */
export const itemSnapshotting: Snapshotting<ItemState> = {
  version: 1,
  every: 50,
  toSnapshot: (state) => state,
  fromSnapshot: (snapshot) => snapshot as ItemState,
};

export const itemDecider: Decider<ItemCommand, ItemEvent, ItemState> = {
  snapshot: itemSnapshotting,
  eventTypes: WORKFLOW_ITEM_EVENT_TYPES,
  initialState: () => ({ workflowVersion: 0, completed: false, itemVersion: 0, visits: 0 }),

  evolve(state, event) {
    switch (event.type) {
      case 'workflow.stage.entered': {
        const d = event.data;
        return {
          ...state,
          workflowId: d.workflowId,
          projectId: d.projectId,
          itemId: d.itemId,
          workflowVersion: d.workflowVersion,
          current: { visitId: d.visitId, stageId: d.stageId, stageType: d.stageType, stageName: d.stageName },
          itemVersion: Math.max(state.itemVersion, d.itemVersion),
          visits: state.visits + 1,
          completed: false,
        };
      }
      case 'workflow.stage.left':
        return { ...state, current: undefined };
      case 'workflow.item.completed':
        return { ...state, completed: true };
      case 'workflow.item.parked':
        return state.current?.visitId === event.data.visitId ? { ...state, current: { ...state.current, parkedOn: event.data.endpointId } } : state;
      default:
        return assertNever(event);
    }
  },

  decide(command, state) {
    switch (command.type) {
      case 'AddItem': {
        if (state.visits > 0) throw new AlreadyInWorkflowError(command.itemId);
        const base = { workflowId: command.workflowId, workflowVersion: command.workflowVersion, projectId: command.projectId, itemId: command.itemId };
        return new Mover({ ...state, ...base }, command).enter(datasetStage(command.graph), new Set());
      }
      case 'StartItem':
      case 'SubmitItem':
      case 'ApproveItem':
      case 'RejectItem': {
        const { verb, stageType, edge } = STAGE_ACTIONS[command.type];
        const stage = currentStage(state, command, verb);
        if (stage.type !== stageType) throw new StageNotAllowedError(verb, stage);
        return new Mover(state, command).leave(stage, edge, {});
      }
      case 'MoveItem': {
        const stage = currentStage(state, command, `move through '${command.edge}'`);
        if (edgeTarget(stage, command.edge) === undefined) throw new StageNotAllowedError(`move through '${command.edge}'`, stage);
        return new Mover(state, command).leave(stage, command.edge, {});
      }
      case 'SetStage': {
        // An admin may also pull a completed item back; only an unknown target is refused.
        if (state.visits === 0) throw new ItemNotInWorkflowError(state.itemId ?? 'unknown');
        const target = stageById(command.graph, command.stageId);
        if (!target) throw new StageNotAllowedError(`set stage to unknown stage '${command.stageId}'`, state.current && stageById(command.graph, state.current.stageId));
        const mover = new Mover(state, command);
        const extra = { by: command.by, reason: command.reason };
        if (!state.current) return mover.enter(target, new Set());
        const from = stageById(command.graph, state.current.stageId);
        if (!from) throw new Error(`stage ${state.current.stageId} missing from its own workflow version`);
        return mover.leave(from, 'admin', extra, target);
      }
      case 'RecordOutcome': {
        // Stale (the visit moved on) or duplicate (it was already routed): nothing changes.
        if (!state.current || state.current.visitId !== command.visitId || state.current.stageType !== 'webhook') return [];
        const stage = stageById(command.graph, state.current.stageId);
        if (!stage) throw new Error(`stage ${state.current.stageId} missing from its own workflow version`);
        const edge = command.outcome === 'delivered' ? 'succeeded' : 'failed';
        const reason = command.outcome === 'failed' && command.lastError ? command.lastError.slice(0, 1000) : undefined;
        return new Mover(state, command).leave(stage, edge, { deliveryId: command.deliveryId, ...(reason ? { reason } : {}) });
      }
      case 'MarkEndpointUnusable': {
        // Only the visit that is still waiting on this endpoint; anything else moved on already.
        if (!state.current || state.current.visitId !== command.visitId || state.current.stageType !== 'webhook') return [];
        const stage = stageById(command.graph, state.current.stageId);
        if (!stage) throw new Error(`stage ${state.current.stageId} missing from its own workflow version`);
        if (stage.webhook?.endpointId !== command.endpointId) return [];
        return new Mover(state, command).leave(stage, 'failed', { reason: `endpoint ${command.endpointId} is ${command.status}` });
      }
      case 'ResumeVisit': {
        if (!state.current || state.current.visitId !== command.visitId || state.current.parkedOn !== command.endpointId) return [];
        const stage = stageById(command.graph, state.current.stageId);
        if (!stage) throw new Error(`stage ${state.current.stageId} missing from its own workflow version`);
        return new Mover(state, command).leave(stage, 'resume', { reason: `endpoint ${command.endpointId} can take deliveries again` }, stage);
      }
      default:
        return assertNever(command);
    }
  },
};

/** What a client asks of one item: a stage's action, a named edge, or (admin) any stage. */
export type ClientMove = { type: StageActionCommand } | { type: 'MoveItem'; edge: string } | { type: 'SetStage'; stageId: string };

/**
 * The stage a client's command enters first, as far as the state and graph say; undefined when
 * they do not (the command will be refused, or the stage is unknown). Tells whether the command
 * freezes the item's version for a webhook stage, before anything is asked of the items service.
 */
export function stageEnteredBy(command: ClientMove, state: ItemState, graph: Graph): Stage | undefined {
  if (command.type === 'SetStage') return stageById(graph, command.stageId);
  const from = state.current && stageById(graph, state.current.stageId);
  if (!from) return undefined;
  const edge = command.type === 'MoveItem' ? command.edge : STAGE_ACTIONS[command.type].edge;
  return stageById(graph, edgeTarget(from, edge) ?? '');
}

function currentStage(state: ItemState, command: MoveContext, what: string): Stage {
  if (state.visits === 0) throw new ItemNotInWorkflowError(state.itemId ?? 'unknown');
  if (!state.current) throw new StageNotAllowedError(what, undefined);
  if (command.expectedVisitId !== undefined && command.expectedVisitId !== state.current.visitId) {
    throw new StaleVisitError(command.expectedVisitId, state.current.visitId);
  }
  const stage = stageById(command.graph, state.current.stageId);
  if (!stage) throw new Error(`stage ${state.current.stageId} missing from its own workflow version`);
  return stage;
}

/** Builds the events of one command: leaving a stage, entering the next, and what entry implies. */
class Mover {
  private readonly events: ItemEvent[] = [];
  private nextId = 0;
  private visitId: string | undefined;

  constructor(
    private readonly state: ItemState & { workflowId?: string },
    private readonly cmd: MoveContext,
  ) {
    this.visitId = state.current?.visitId;
  }

  leave(stage: Stage, edge: string, extra: Pick<StageLeft, 'by' | 'reason' | 'deliveryId'>, explicitTarget?: Stage): ItemEvent[] {
    const target = explicitTarget ?? stageById(this.cmd.graph, edgeTarget(stage, edge) ?? '');
    if (!target) throw new Error(`edge '${edge}' of stage ${stage.id} leads nowhere (the graph was validated on save)`);
    this.left(stage, edge, target.id, extra);
    return this.enter(target, new Set([stage.id]));
  }

  /**
   * Enters `stage`. A webhook stage whose endpoint is disabled or deleted routes through `failed`
   * at once; `passed` stops a loop of such stages: reaching one a second time parks the item
   * there (entered without a delivery, then `workflow.item.parked`). Before, it was entered as
   * usual, delivery failed it at once, the outcome routed it through `failed` back here, and the
   * loop spun at event speed for as long as the endpoint stayed disabled.
   */
  enter(stage: Stage, passed: Set<string>): ItemEvent[] {
    const unusable = stage.type === 'webhook' && stage.webhook ? this.cmd.unusableEndpoints?.[stage.webhook.endpointId] : undefined;
    const parks = unusable !== undefined && passed.has(stage.id);
    const visitId = this.cmd.visitIds[this.nextId++];
    if (visitId === undefined) throw new Error('not enough visit ids for this command');
    this.visitId = visitId;
    const at = this.cmd.now.toISOString();
    const s = this.state;
    const itemVersion = Math.max(this.cmd.itemVersion, s.itemVersion);
    this.events.push({
      type: 'workflow.stage.entered',
      data: {
        workflowId: this.wf(),
        workflowVersion: s.workflowVersion,
        stageId: stage.id,
        stageType: stage.type,
        stageName: stage.name,
        itemId: this.item(),
        visitId,
        itemVersion,
        projectId: this.project(),
        enteredAt: at,
        ...(stage.type === 'webhook' && stage.webhook && !parks ? { webhook: { ...stage.webhook } } : {}),
        ...(stage.type === 'webhook' && !parks && this.cmd.item?.version === itemVersion ? { item: this.cmd.item } : {}),
      },
    });
    if (parks && stage.webhook) {
      this.events.push({
        type: 'workflow.item.parked',
        data: {
          workflowId: this.wf(),
          itemId: this.item(),
          projectId: this.project(),
          stageId: stage.id,
          visitId,
          endpointId: stage.webhook.endpointId,
          reason: `endpoint ${stage.webhook.endpointId} is ${unusable}, and the stage's failed route leads back to webhook stages that cannot deliver`,
          parkedAt: at,
        },
      });
      return this.events;
    }
    if (stage.type === 'complete') {
      this.events.push({ type: 'workflow.item.completed', data: { workflowId: this.wf(), itemId: this.item(), projectId: this.project(), visitId, completedAt: at } });
    }
    if (unusable && !passed.has(stage.id)) {
      passed.add(stage.id);
      const target = stageById(this.cmd.graph, edgeTarget(stage, 'failed') ?? '');
      if (!target) throw new Error(`webhook stage ${stage.id} has no failed edge (the graph was validated on save)`);
      this.left(stage, 'failed', target.id, { reason: `endpoint ${stage.webhook?.endpointId} is ${unusable}` });
      return this.enter(target, passed);
    }
    return this.events;
  }

  private left(stage: Stage, edge: string, toStageId: string, extra: Pick<StageLeft, 'by' | 'reason' | 'deliveryId'>): void {
    if (!this.visitId) throw new Error('leaving a stage without a visit');
    const by = extra.by ?? this.cmd.by;
    this.events.push({
      type: 'workflow.stage.left',
      data: {
        workflowId: this.wf(),
        stageId: stage.id,
        stageType: stage.type,
        itemId: this.item(),
        visitId: this.visitId,
        projectId: this.project(),
        edge,
        toStageId,
        leftAt: this.cmd.now.toISOString(),
        ...(by ? { by } : {}),
        ...(extra.reason ? { reason: extra.reason } : {}),
        ...(extra.deliveryId ? { deliveryId: extra.deliveryId } : {}),
      },
    });
  }

  private wf(): string {
    if (!this.state.workflowId) throw new Error('item state without a workflow');
    return this.state.workflowId;
  }

  private item(): string {
    if (!this.state.itemId) throw new Error('item state without an item id');
    return this.state.itemId;
  }

  private project(): string {
    if (!this.state.projectId) throw new Error('item state without a project');
    return this.state.projectId;
  }
}
