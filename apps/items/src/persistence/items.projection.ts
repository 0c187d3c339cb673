import type { InlineProjection, StoredEvent } from '@stagehook/event-store';
import type { EntityManager } from 'typeorm';
import type { EventData } from '@stagehook/contracts';

const HANDLES = [
  'item.registered',
  'item.status.changed',
  'item.annotation.added',
  'item.annotation.updated',
  'item.annotation.deleted',
  'item.tag.added',
  'item.tag.removed',
] as const;

/** items_view, written in the append's transaction so lists and project checks are never behind. */
export const itemsProjection: InlineProjection = {
  name: 'items_view',
  handles: HANDLES,
  async apply(events: StoredEvent[], tx: EntityManager): Promise<void> {
    for (const e of events) {
      const itemId = e.streamId.slice('item-'.length);
      const touch = [itemId, e.streamVersion, e.createdAt];
      switch (e.type as (typeof HANDLES)[number]) {
        case 'item.registered': {
          const d = e.data as unknown as EventData<'item.registered'>;
          const slot = { type: d.slotType, width: d.width, height: d.height, sourceUrl: d.sourceUrl, thumbnailUrl: d.thumbnailUrl };
          await tx.query(
            `INSERT INTO items_view (id, project_id, dataset_id, name, path, status, metadata, slot, version, registered_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'new', $6, $7, $8, $9, $9)`,
            [itemId, d.projectId, d.datasetId, d.name, d.path, JSON.stringify(d.metadata), JSON.stringify(slot), e.streamVersion, e.createdAt],
          );
          break;
        }
        case 'item.status.changed':
          await tx.query(`UPDATE items_view SET status = $4, version = $2, updated_at = $3 WHERE id = $1`, [...touch, (e.data as { to: string }).to]);
          break;
        case 'item.annotation.added':
          await tx.query(`UPDATE items_view SET annotation_count = annotation_count + 1, version = $2, updated_at = $3 WHERE id = $1`, touch);
          break;
        case 'item.annotation.deleted':
          await tx.query(`UPDATE items_view SET annotation_count = annotation_count - 1, version = $2, updated_at = $3 WHERE id = $1`, touch);
          break;
        case 'item.annotation.updated':
          await tx.query(`UPDATE items_view SET version = $2, updated_at = $3 WHERE id = $1`, touch);
          break;
        case 'item.tag.added': {
          const name = (e.data as { annotation: { name: string } }).annotation.name;
          await tx.query(
            `UPDATE items_view SET tags = array_append(tags, $4), annotation_count = annotation_count + 1, version = $2, updated_at = $3 WHERE id = $1`,
            [...touch, name],
          );
          break;
        }
        case 'item.tag.removed':
          await tx.query(
            `UPDATE items_view SET tags = array_remove(tags, $4), annotation_count = annotation_count - 1, version = $2, updated_at = $3 WHERE id = $1`,
            [...touch, (e.data as { name: string }).name],
          );
          break;
      }
    }
  },
  async reset(tx: EntityManager): Promise<void> {
    await tx.query(`DELETE FROM items_view`);
  },
};
