import { Injectable } from '@nestjs/common';
import { EventStore, handleCommand } from '@stagehook/event-store';
import { DataSource } from 'typeorm';
import { endpointDecider, type EndpointCommand, type EndpointState } from './endpoint.decider.js';
import type { EndpointRow } from './endpoint.projection.js';

export type LiveEndpoint = Extract<EndpointState, { status: 'live' }> & { version: number };

/** One event stream per endpoint; the id never changes. */
export const endpointStreamId = (endpointId: string) => `endpoint-${endpointId}`;

@Injectable()
export class EndpointRepository {
  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
  ) {}

  /** Loads the stream, decides, appends at the version decided on (retrying a lost race). */
  async execute(endpointId: string, command: EndpointCommand, meta: { projectId: string; requestId?: string }): Promise<{ state: EndpointState; version: number }> {
    const res = await handleCommand(this.store, endpointStreamId(endpointId), endpointDecider, command, {
      metadata: { source: 'webhooks', projectId: meta.projectId, ...(meta.requestId ? { correlationId: meta.requestId } : {}) },
      // A register must be decided against an empty stream; the others re-check every rule.
      retries: command.kind === 'register' ? 0 : 3,
    });
    return { state: res.state, version: res.version };
  }

  /** The live endpoint if it belongs to the project; another project's endpoint is not found. */
  async findInProject(projectId: string, endpointId: string): Promise<LiveEndpoint | undefined> {
    const rows = await this.dataSource.query<Array<Pick<EndpointRow, 'state' | 'version'>>>(`SELECT state, version FROM webhook_endpoints WHERE endpoint_id = $1 AND project_id = $2`, [
      endpointId,
      projectId,
    ]);
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
