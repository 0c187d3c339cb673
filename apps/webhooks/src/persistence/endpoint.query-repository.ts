import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EndpointState } from '../domain/endpoint.decider.js';
import type { EndpointRow } from './endpoint.projection.js';

export type LiveEndpoint = Extract<EndpointState, { status: 'live' }> & { version: number };

/** Reads of the endpoint read model (webhook_endpoints, kept by endpointProjection). */
@Injectable()
export class EndpointQueryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The live endpoint if it belongs to the project; another project's endpoint is not found. */
  async findInProject(projectId: string, endpointId: string): Promise<LiveEndpoint | undefined> {
    const rows = await this.dataSource.query<Array<Pick<EndpointRow, 'state' | 'version'>>>(
      `SELECT state, version FROM webhook_endpoints WHERE endpoint_id = $1 AND project_id = $2`,
      [endpointId, projectId],
    );
    return rows[0] ? { ...rows[0].state, version: rows[0].version } : undefined;
  }

  /** Oldest first; `after` is the last endpoint id of the previous page. */
  async listInProject(projectId: string, { limit, after }: { limit: number; after?: string }): Promise<LiveEndpoint[]> {
    const rows = await this.dataSource.query<Array<Pick<EndpointRow, 'state' | 'version'>>>(
      `SELECT state, version FROM webhook_endpoints e
       WHERE project_id = $1
         AND ($3::text IS NULL OR (created_at, endpoint_id) > (SELECT created_at, endpoint_id FROM webhook_endpoints WHERE endpoint_id = $3 AND project_id = $1))
       ORDER BY created_at, endpoint_id
       LIMIT $2`,
      [projectId, limit, after ?? null],
    );
    return rows.map((r) => ({ ...r.state, version: r.version }));
  }
}
