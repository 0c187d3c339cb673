import { assertNever, type EventData, WORKFLOW_DEFINITION_EVENT_TYPES, WORKFLOW_ITEM_EVENT_TYPES } from '@stagehook/contracts';
import type { AppendingEventOf, InlineProjection, ProjectionStatement, StoredEventOf } from '@stagehook/event-store';
import type { EntityManager } from 'typeorm';
import type { DefinitionEvent } from '../domain/definition.decider.js';
import type { ItemEvent } from '../domain/item.decider.js';
import { positionRowAfter } from './views.js';

async function exec(tx: EntityManager, text: string, params: unknown[]): Promise<void> {
  await tx.query(text, params);
}

const run = (tx: EntityManager, st: { text: string; params: unknown[] }) => exec(tx, st.text, st.params);

export const definitionsProjection: InlineProjection<DefinitionEvent> = {
  name: 'wf_definitions',
  handles: WORKFLOW_DEFINITION_EVENT_TYPES,
  async apply(events: StoredEventOf<DefinitionEvent>[], tx: EntityManager) {
    for (const e of events) {
      const d = e.data;
      await exec(
        tx,
        `INSERT INTO wf_definitions (workflow_id, version, project_id, name, stages, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workflow_id, version) DO NOTHING`,
        [d.workflowId, d.version, d.projectId, d.name, JSON.stringify(d.stages), d.at],
      );
      // The latest version's dataset binding replaces the previous one. A dataset another
      // workflow feeds fails the append (primary key): the service checks first and answers 409.
      const datasetId = d.stages.find((s) => s.type === 'dataset')?.datasetId;
      const kept: { dataset_id: string }[] = await tx.query(`SELECT dataset_id FROM wf_dataset_bindings WHERE workflow_id = $1`, [d.workflowId]);
      if (kept[0]?.dataset_id !== datasetId) {
        await exec(tx, `DELETE FROM wf_dataset_bindings WHERE workflow_id = $1`, [d.workflowId]);
        if (datasetId !== undefined) {
          await exec(tx, `INSERT INTO wf_dataset_bindings (project_id, dataset_id, workflow_id, bound_at) VALUES ($1, $2, $3, $4)`, [d.projectId, datasetId, d.workflowId, d.at]);
        }
      }
    }
  },
  async reset(tx: EntityManager) {
    await exec(tx, 'DELETE FROM wf_definitions', []);
    await exec(tx, 'DELETE FROM wf_dataset_bindings', []);
  },
};

/** A statement and its parameters, numbered from `$1`. */
interface Statement {
  text: string;
  params: unknown[];
}

function visitLeft(d: EventData<'workflow.stage.left'>): Statement {
  return {
    text: `UPDATE wf_visits SET left_at = $2, edge = $3, to_stage_id = $4, left_by = $5, reason = $6, delivery_id = $7 WHERE visit_id = $1`,
    params: [d.visitId, d.leftAt, d.edge, d.toStageId ?? null, d.by ?? null, d.reason ?? null, d.deliveryId ?? null],
  };
}

function positionEntered(d: EventData<'workflow.stage.entered'>): Statement {
  return {
    text: `INSERT INTO wf_item_positions (workflow_id, item_id, project_id, workflow_version, stage_id, stage_type, stage_name, visit_id, item_version, entered_at, completed, webhook_endpoint_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, false, $11)
       ON CONFLICT (workflow_id, item_id) DO UPDATE SET
         workflow_version = EXCLUDED.workflow_version, stage_id = EXCLUDED.stage_id, stage_type = EXCLUDED.stage_type,
         stage_name = EXCLUDED.stage_name, visit_id = EXCLUDED.visit_id, item_version = EXCLUDED.item_version,
         entered_at = EXCLUDED.entered_at, completed = false, webhook_endpoint_id = EXCLUDED.webhook_endpoint_id,
         parked_on = NULL, parked_reason = NULL, parked_at = NULL`,
    params: [d.workflowId, d.itemId, d.projectId, d.workflowVersion, d.stageId, d.stageType, d.stageName, d.visitId, d.itemVersion, d.enteredAt, d.webhook?.endpointId ?? null],
  };
}

function visitEntered(d: EventData<'workflow.stage.entered'>, seq: number): Statement {
  return {
    text: `INSERT INTO wf_visits (visit_id, workflow_id, item_id, project_id, stage_id, stage_type, stage_name, item_version, entered_at, seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (visit_id) DO NOTHING`,
    params: [d.visitId, d.workflowId, d.itemId, d.projectId, d.stageId, d.stageType, d.stageName, d.itemVersion, d.enteredAt, seq],
  };
}

/**
 * Positions and visits, from the item streams' events; `seq` (global position) orders a history.
 * An append's moves are written as one statement with the append (`statements`, below); `apply`
 * is the definition, for rebuilds and the shapes `statements` leaves to it.
 */
export const itemsProjection: InlineProjection<ItemEvent> = {
  name: 'wf_items',
  handles: WORKFLOW_ITEM_EVENT_TYPES,
  async apply(events: StoredEventOf<ItemEvent>[], tx: EntityManager) {
    for (const e of events) {
      switch (e.type) {
        case 'workflow.stage.entered':
          await run(tx, positionEntered(e.data));
          await run(tx, visitEntered(e.data, e.globalPosition));
          break;
        case 'workflow.stage.left':
          await run(tx, visitLeft(e.data));
          break;
        case 'workflow.item.completed': {
          const d = e.data;
          await exec(tx, `UPDATE wf_item_positions SET completed = true WHERE workflow_id = $1 AND item_id = $2 AND visit_id = $3`, [d.workflowId, d.itemId, d.visitId]);
          break;
        }
        case 'workflow.item.parked': {
          const d = e.data;
          await exec(
            tx,
            `UPDATE wf_item_positions SET parked_on = $4, parked_reason = $5, parked_at = $6, webhook_endpoint_id = $4 WHERE workflow_id = $1 AND item_id = $2 AND visit_id = $3`,
            [d.workflowId, d.itemId, d.visitId, d.endpointId, d.reason, d.parkedAt],
          );
          break;
        }
        default:
          assertNever(e, 'event for itemsProjection');
      }
    }
  },
  async reset(tx: EntityManager) {
    await exec(tx, 'DELETE FROM wf_visits', []);
    await exec(tx, 'DELETE FROM wf_item_positions', []);
  },
  statements: moveStatements,
};

/**
 * `apply`'s writes for a client's move, inside the append's own statement (see
 * InlineProjection.statements): a visit left (optional), the next stage entered, and the item
 * completed or parked there (optional). The position is written once with its final state, and
 * every visit is a different row. Other shapes (fail-fast chains through several stages) go
 * through `apply`.
 */
function moveStatements(events: readonly AppendingEventOf<ItemEvent>[]): ProjectionStatement[] | undefined {
  const at = events.findIndex((e) => e.type === 'workflow.stage.entered');
  const entered = events[at];
  if (entered?.type !== 'workflow.stage.entered') return undefined;
  const before = events.slice(0, at);
  const after = events.slice(at + 1);
  const left = before[0];
  if (before.length > 1 || (left && (left.type !== 'workflow.stage.left' || left.data.visitId === entered.data.visitId))) return undefined;
  const d = entered.data;
  // What follows the entry: completed or parked there, each at most once.
  const follows = after.map((e) => (e.type === 'workflow.item.completed' || e.type === 'workflow.item.parked') && e.data.visitId === d.visitId && e.type);
  if (follows.some((t) => !t) || new Set(follows).size !== follows.length) return undefined;
  const row = positionRowAfter(events)!;
  const position: Statement = {
    text: `INSERT INTO wf_item_positions (workflow_id, item_id, project_id, workflow_version, stage_id, stage_type, stage_name, visit_id, item_version, entered_at, completed,
             webhook_endpoint_id, parked_on, parked_reason, parked_at)
       SELECT $1::text, $2::text, $3::text, $4::int, $5::text, $6::text, $7::text, $8::text, $9::int, $10::timestamptz, $11::boolean, $12::text, $13::text, $14::text,
         $15::timestamptz
       WHERE {{appended}}
       ON CONFLICT (workflow_id, item_id) DO UPDATE SET
         workflow_version = EXCLUDED.workflow_version, stage_id = EXCLUDED.stage_id, stage_type = EXCLUDED.stage_type,
         stage_name = EXCLUDED.stage_name, visit_id = EXCLUDED.visit_id, item_version = EXCLUDED.item_version,
         entered_at = EXCLUDED.entered_at, completed = EXCLUDED.completed, webhook_endpoint_id = EXCLUDED.webhook_endpoint_id,
         parked_on = EXCLUDED.parked_on, parked_reason = EXCLUDED.parked_reason, parked_at = EXCLUDED.parked_at`,
    params: [
      row.workflow_id,
      row.item_id,
      row.project_id,
      row.workflow_version,
      row.stage_id,
      row.stage_type,
      row.stage_name,
      row.visit_id,
      row.item_version,
      row.entered_at,
      row.completed,
      row.webhook_endpoint_id,
      row.parked_on,
      row.parked_reason,
      row.parked_at,
    ],
  };
  // The visit's seq is its event's global position, which the append assigns.
  const entry: Statement = {
    text: `INSERT INTO wf_visits (visit_id, workflow_id, item_id, project_id, stage_id, stage_type, stage_name, item_version, entered_at, seq)
       SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::int, $9::timestamptz, {{position:${at}}} WHERE {{appended}}
       ON CONFLICT (visit_id) DO NOTHING`,
    params: [d.visitId, d.workflowId, d.itemId, d.projectId, d.stageId, d.stageType, d.stageName, d.itemVersion, d.enteredAt],
  };
  const gated = (st: Statement): Statement => ({ ...st, text: `${st.text} AND {{appended}}` });
  return [...(left ? [gated(visitLeft(left.data))] : []), position, entry];
}

export const workflowProjections = [definitionsProjection, itemsProjection];
