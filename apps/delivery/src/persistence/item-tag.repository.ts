import type { DataSource, EntityManager } from 'typeorm';

/** dl_item_tags: what the items service considers each item's tags, as far as this consumer has seen. */
export class ItemTagRepository {
  constructor(private readonly ds: DataSource) {}

  private q(m?: EntityManager) {
    return m ?? this.ds.manager;
  }

  /**
   * Records that the item has (or no longer has) the tag as of ITEMS stream sequence `seq`. The
   * last event by sequence wins per tag: replicas sharing the durable, and a nak, give no order.
   */
  async setTag(t: { projectId: string; itemId: string; name: string; present: boolean }, seq: number, m?: EntityManager): Promise<void> {
    await this.q(m).query(
      `INSERT INTO dl_item_tags (project_id, item_id, name, present, source_seq)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (project_id, item_id, name) DO UPDATE SET present = EXCLUDED.present,
         source_seq = EXCLUDED.source_seq, updated_at = now()
       WHERE dl_item_tags.source_seq < EXCLUDED.source_seq`,
      [t.projectId, t.itemId, t.name, t.present, seq],
    );
  }

  /** The item's current tags, sorted; none when this service has seen no tag event for it. */
  async tagsOf(projectId: string, itemId: string, m?: EntityManager): Promise<string[]> {
    const rows: { name: string }[] = await this.q(m).query(
      `SELECT name FROM dl_item_tags WHERE project_id = $1 AND item_id = $2 AND present ORDER BY name`,
      [projectId, itemId],
    );
    return rows.map((r) => r.name);
  }
}
