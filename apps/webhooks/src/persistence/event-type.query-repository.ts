import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { LiveEventType } from './event-type.projection.js';

/** Reads of the custom event-type read model (webhook_event_types, kept by eventTypeProjection). */
@Injectable()
export class EventTypeQueryRepository {
  constructor(private readonly dataSource: DataSource) {}

  async find(projectId: string, name: string, manager?: EntityManager): Promise<LiveEventType | undefined> {
    const rows = await (manager ?? this.dataSource.manager).query<Array<{ state: LiveEventType }>>(`SELECT state FROM webhook_event_types WHERE project_id = $1 AND name = $2`, [
      projectId,
      name,
    ]);
    return rows[0]?.state;
  }

  /** Every custom type of the project, by name. A catalogue is small (hundreds, not millions). */
  async list(projectId: string): Promise<LiveEventType[]> {
    const rows = await this.dataSource.query<Array<{ state: LiveEventType }>>(`SELECT state FROM webhook_event_types WHERE project_id = $1 ORDER BY name LIMIT 10000`, [projectId]);
    return rows.map((r) => r.state);
  }

  /** Names of the project's custom types, split by whether new subscriptions may name them. */
  async names(projectId: string): Promise<{ open: string[]; deprecated: string[] }> {
    const rows = await this.dataSource.query<Array<{ name: string; deprecated: boolean }>>(`SELECT name, deprecated FROM webhook_event_types WHERE project_id = $1`, [projectId]);
    return { open: rows.filter((r) => !r.deprecated).map((r) => r.name), deprecated: rows.filter((r) => r.deprecated).map((r) => r.name) };
  }
}
