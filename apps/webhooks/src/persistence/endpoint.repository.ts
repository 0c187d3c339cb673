import { Injectable } from '@nestjs/common';
import { EventStore, handleCommand } from '@stagehook/event-store';
import { MetricsService } from '@stagehook/platform';
import type { Counter } from 'prom-client';
import type { EntityManager } from 'typeorm';
import { endpointDecider, type EndpointCommand, type EndpointState } from '../domain/endpoint.decider.js';

/** One event stream per endpoint; the id never changes. */
export const endpointStreamId = (endpointId: string) => `endpoint-${endpointId}`;

/** The `command` label of webhooks_endpoint_commands_total: the names dashboards already use. */
const COMMAND_LABELS: Record<EndpointCommand['type'], string> = {
  RegisterEndpoint: 'register',
  UpdateEndpoint: 'update',
  DisableEndpoint: 'disable',
  EnableEndpoint: 'enable',
  DeleteEndpoint: 'delete',
  RotateSecret: 'rotate-secret',
  RevealSecret: 'reveal-secret',
};

/** The write side of endpoints: their event streams. Reads go through EndpointQueryRepository. */
@Injectable()
export class EndpointRepository {
  private readonly commands: Counter<'command' | 'outcome'>;

  constructor(
    private readonly store: EventStore,
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
    const label = COMMAND_LABELS[command.type];
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
        retries: command.type === 'RegisterEndpoint' ? 0 : 3,
      });
    } catch (err) {
      this.commands.inc({ command: label, outcome: 'refused' });
      throw err;
    }
    this.commands.inc({ command: label, outcome: res.events.length > 0 ? 'applied' : 'unchanged' });
    return { state: res.state, version: res.version };
  }
}
