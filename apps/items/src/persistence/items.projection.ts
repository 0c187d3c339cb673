import { assertNever, ITEM_EVENT_TYPES } from '@stagehook/contracts';
import type { AppendingEventOf, InlineProjection, ProjectionStatement, StoredEventOf } from '@stagehook/event-store';
import type { EntityManager } from 'typeorm';
import type { ItemEvent } from '../domain/item.decider.js';

interface Pending {
  countDelta: number;
  status: string | null;
  tagOps: { add: boolean; name: string }[];
  version: number;
  updatedAt: Date;
}

/** items_view, written in the append's transaction so lists and project checks are never behind. */
export const itemsProjection: InlineProjection<ItemEvent> = {
  name: 'items_view',
  handles: ITEM_EVENT_TYPES,
  async apply(events: StoredEventOf<ItemEvent>[], tx: EntityManager): Promise<void> {
    // One UPDATE per item per batch, not per event: a bulk add of 1,000 annotations is one
    // append, and 1,000 row updates in it were most of its time.
    const pending = new Map<string, Pending>();
    const flush = async (itemId: string) => {
      const p = pending.get(itemId);
      if (!p) return;
      pending.delete(itemId);
      let tags: string[] | null = null;
      if (p.tagOps.length > 0) {
        const rows: { tags: string[] }[] = await tx.query(`SELECT tags FROM items_view WHERE id = $1`, [itemId]);
        tags = rows[0]?.tags ?? [];
        for (const op of p.tagOps) tags = op.add ? [...tags, op.name] : tags.filter((t) => t !== op.name);
      }
      await tx.query(
        `UPDATE items_view SET annotation_count = annotation_count + $2, status = COALESCE($3, status), tags = COALESCE($4::text[], tags),
           version = $5, updated_at = $6 WHERE id = $1`,
        [itemId, p.countDelta, p.status, tags, p.version, p.updatedAt],
      );
    };
    for (const e of events) {
      const itemId = e.streamId.slice('item-'.length);
      if (e.type === 'item.registered') {
        await flush(itemId);
        const d = e.data;
        // `slot` (the first slot, without its name) is what the API showed before items had
        // several slots; kept for clients that read it.
        const { name: _name, ...slot } = d.slots[0];
        await tx.query(
          `INSERT INTO items_view (id, project_id, dataset_id, name, path, status, metadata, slot, slots, version, registered_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, 'new', $6, $7, $8, $9, $10, $10)`,
          [itemId, d.projectId, d.datasetId, d.name, d.path, JSON.stringify(d.metadata), JSON.stringify(slot), JSON.stringify(d.slots), e.streamVersion, e.createdAt],
        );
        continue;
      }
      const p = pending.get(itemId) ?? { countDelta: 0, status: null, tagOps: [], version: 0, updatedAt: e.createdAt };
      pending.set(itemId, p);
      p.version = e.streamVersion;
      p.updatedAt = e.createdAt;
      accumulate(p, e);
    }
    for (const itemId of [...pending.keys()]) await flush(itemId);
  },
  async reset(tx: EntityManager): Promise<void> {
    await tx.query(`DELETE FROM items_view`);
  },
  /**
   * The same write as `apply` for one append to an existing item, inside the append's statement:
   * an annotation command is then one round trip. A registration goes through `apply`.
   */
  statements(events: readonly AppendingEventOf<ItemEvent>[]): ProjectionStatement[] | undefined {
    const p: Pending = { countDelta: 0, status: null, tagOps: [], version: 0, updatedAt: new Date(0) };
    for (const e of events) {
      if (e.type === 'item.registered') return undefined;
      accumulate(p, e);
    }
    const params: unknown[] = [events[0].streamId.slice('item-'.length), p.countDelta, p.status];
    // The tag operations in order, as `apply` runs them on the row's tags.
    let tags = 'tags';
    for (const op of p.tagOps) {
      params.push(op.name);
      tags = `${op.add ? 'array_append' : 'array_remove'}(${tags}, $${params.length}::text)`;
    }
    return [
      {
        text: `UPDATE items_view SET annotation_count = annotation_count + $2, status = COALESCE($3, status), tags = ${tags},
           version = {{version}}, updated_at = now() WHERE id = $1 AND {{appended}}`,
        params,
      },
    ];
  },
};

/** What one event changes in an existing item's row. */
function accumulate(p: Pending, e: Exclude<ItemEvent, { type: 'item.registered' }>): void {
  switch (e.type) {
    case 'item.status.changed':
      p.status = e.data.to;
      break;
    case 'item.annotation.added':
      p.countDelta++;
      break;
    case 'item.annotation.deleted':
      p.countDelta--;
      break;
    case 'item.annotation.updated':
    case 'item.darwin.imported':
    case 'item.writeback.applied':
    case 'item.writeback.rejected':
      // The item's version moves on; the annotations themselves came as their own events.
      break;
    case 'item.tag.added':
      p.countDelta++;
      p.tagOps.push({ add: true, name: e.data.annotation.name });
      break;
    case 'item.tag.removed':
      p.countDelta--;
      p.tagOps.push({ add: false, name: e.data.name });
      break;
    default:
      assertNever(e, 'item event');
  }
}
