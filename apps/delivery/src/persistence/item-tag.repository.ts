import type { DataSource, EntityManager } from 'typeorm';
import type { SourceOrder } from './source-order.js';

/** dl_item_tags: what the items service considers each item's tags, as far as this consumer has seen. */
export class ItemTagRepository {
  constructor(private readonly ds: DataSource) {}

  private q(m?: EntityManager) {
    return m ?? this.ds.manager;
  }

  /**
   * Records that the item has (or no longer has) the tag as of `order` in the item's stream. The
   * newest event wins per tag, by the item stream's version: replicas sharing the durable, a nak
   * and a retried publish all give no order. Unversioned events (published before the relay
   * stamped versions) are older than any versioned one and fall back to the ITEMS sequence.
   */
  async setTag(t: { projectId: string; itemId: string; name: string; present: boolean }, order: SourceOrder, m?: EntityManager): Promise<void> {
    const byVersion = 'version' in order;
    await this.q(m).query(
      `INSERT INTO dl_item_tags AS t (project_id, item_id, name, present, source_seq, stream_version)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (project_id, item_id, name) DO UPDATE SET present = EXCLUDED.present,
         source_seq = EXCLUDED.source_seq, stream_version = EXCLUDED.stream_version, updated_at = now()
       WHERE ${byVersion ? 't.stream_version < EXCLUDED.stream_version' : 't.stream_version = 0 AND t.source_seq < EXCLUDED.source_seq'}`,
      [t.projectId, t.itemId, t.name, t.present, 'seq' in order ? order.seq : 0, 'version' in order ? order.version : 0],
    );
  }

  /** The item's current tags, sorted; none when this service has seen no tag event for it. */
  async tagsOf(projectId: string, itemId: string, m?: EntityManager): Promise<string[]> {
    const rows: { name: string }[] = await this.q(m).query(`SELECT name FROM dl_item_tags WHERE project_id = $1 AND item_id = $2 AND present ORDER BY name`, [projectId, itemId]);
    return rows.map((r) => r.name);
  }
}
