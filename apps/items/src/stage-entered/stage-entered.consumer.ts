import { Module } from '@nestjs/common';
import { BusNamespace } from '@stagehook/contracts';
import { consumersProvider, Outcome, type ConsumerRunnerOptions } from '@stagehook/messaging';
import { DeadLettersController, deadLetterRedriveProvider, LOGGER, MetricsService, NATS_CONNECTION, isDomainError, type NatsConnection } from '@stagehook/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { IllegalStatusTransitionError } from '../domain/errors.js';
import { statusForStage } from '../domain/status-rules.js';
import { ItemsModule } from '../items/items.module.js';
import { ItemsRepository } from '../persistence/items.repository.js';

/**
 * Entering an annotate / review / complete stage sets the item's status. Idempotent twice over:
 * the runner records the event id in the handler's transaction, and the decider ignores a visit
 * it has already applied (a republished entry with a new event id).
 */
export function stageEnteredConsumer(deps: {
  dataSource: DataSource;
  nats: NatsConnection;
  namespace: BusNamespace;
  repo: ItemsRepository;
  logger: Logger;
  metrics: MetricsService;
}): ConsumerRunnerOptions {
  return {
    dataSource: deps.dataSource,
    nats: deps.nats,
    namespace: deps.namespace,
    logger: deps.logger.child({ component: 'items-stage-entered' }),
    metrics: deps.metrics.registry,
    stream: 'WORKFLOW',
    // WIRE NAME: durable, msg_handled.consumer and deadletter.<name>; never rename.
    durable: 'items-stage-entered',
    filterSubject: 'workflow.stage.entered',
    concurrency: 4,
    handlers: {
      'workflow.stage.entered': async (event, ctx) => {
        const d = event.data;
        const to = statusForStage(d.stageType);
        if (!to) return Outcome.ack();
        const view = await deps.repo.view(d.itemId, ctx.manager);
        if (!view || view.projectId !== d.projectId) return Outcome.deadLetter(`unknown item ${d.itemId} in project ${d.projectId}`);
        const dataset = (await deps.repo.dataset(d.projectId, view.datasetId, ctx.manager)) ?? null;
        try {
          await deps.repo.handle(
            d.itemId,
            { type: 'ChangeStatus', to, changedBy: `workflow:${d.stageId}`, reason: `entered ${d.stageType} stage ${d.stageName}`, at: d.enteredAt, source: 'workflow', visitId: d.visitId, dataset },
            { source: 'items', projectId: d.projectId, correlationId: event.correlationid ?? event.id, causationId: event.id },
            ctx.manager,
          );
        } catch (err) {
          // Retrying cannot make an archived item enter a stage; an operator must look.
          if (err instanceof IllegalStatusTransitionError || (isDomainError(err) && err.code !== 'CONCURRENCY_CONFLICT')) {
            return Outcome.deadLetter(err.message);
          }
          throw err;
        }
        return Outcome.ack();
      },
    },
  };
}

@Module({
  imports: [ItemsModule],
  // Operators' redrive of this service's dead letters (platform README).
  controllers: [DeadLettersController],
  providers: [
    deadLetterRedriveProvider(),
    consumersProvider({
      inject: [DataSource, NATS_CONNECTION, BusNamespace, ItemsRepository, LOGGER, MetricsService],
      useFactory: (dataSource: DataSource, nats: NatsConnection, namespace: BusNamespace, repo: ItemsRepository, logger: Logger, metrics: MetricsService) => [
        stageEnteredConsumer({ dataSource, nats, namespace, repo, logger, metrics }),
      ],
    }),
  ],
})
export class StageEnteredModule {}
