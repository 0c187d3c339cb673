import { Injectable } from '@nestjs/common';
import { EventStore, handleCommand } from '@stagehook/event-store';
import { MetricsService } from '@stagehook/platform';
import type { Counter } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import { endpointDecider, type EndpointCommand, type EndpointState } from './endpoint.decider.js';
import type { EndpointRow } from './endpoint.projection.js';

export type LiveEndpoint = Extract<EndpointState, { status: 'live' }> & { version: number };

/** One event stream per endpoint; the id never changes. */
export const endpointStreamId = (endpointId: string) => `endpoint-${endpointId}`;

@Injectable()
export class EndpointRepository {
  private readonly commands: Counter<'command' | 'outcome'>;

  constructor(
    private readonly store: EventStore,
    private readonly dataSource: DataSource,
    metrics: MetricsService,
  ) {
    this.commands = metrics.counter({
      name: 'webhooks_endpoint_commands_total',
      help: 'Endpoint commands by outcome: applied (events appended), unchanged (nothing to do), refused (domain error or conflict)',
      labelNames: ['command', 'outcome'],
    });
  }

  /**
   * Loads the stream, decides, appends at the version decided on (retrying a lost race). With
   * `manager` (a consumer's transaction) it appends in that transaction and a lost race throws,
   * so the message is tried again.
   */
  async execute(
    endpointId: string,
    command: EndpointCommand,
    meta: { projectId: string; requestId?: string; causationId?: string; manager?: EntityManager },
  ): Promise<{ state: EndpointState; version: number }> {
    let res;
    try {
      res = await handleCommand(this.store, endpointStreamId(endpointId), endpointDecider, command, {
        metadata: {
          source: 'webhooks',
          projectId: meta.projectId,
          ...(meta.requestId ? { correlationId: meta.requestId } : {}),
          ...(meta.causationId ? { causationId: meta.causationId } : {}),
        },
        manager: meta.manager,
        // A register must be decided against an empty stream; the others re-check every rule.
        retries: command.kind === 'register' ? 0 : 3,
      });
    } catch (err) {
      this.commands.inc({ command: command.kind, outcome: 'refused' });
      throw err;
    }
    this.commands.inc({ command: command.kind, outcome: res.events.length > 0 ? 'applied' : 'unchanged' });
    return { state: res.state, version: res.version };
  }

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
