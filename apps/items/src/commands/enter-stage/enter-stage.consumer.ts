import { Controller } from '@nestjs/common';
import type { CloudEvent } from '@stagehook/contracts';
import { ConcurrencyConflictError } from '@stagehook/event-store';
import { OnEventBatch, Outcome, defineConsumer, settleEach, type BatchContext, type BatchItem, type HandlerOutcome, type TypedEvent } from '@stagehook/messaging';
import { isDomainError } from '@stagehook/platform';
import type { EntityManager } from 'typeorm';
import { IllegalStatusTransitionError } from '../../domain/errors.js';
import { statusForStage } from '../../domain/status-rules.js';
import { ItemsQueryRepository } from '../../persistence/items.query-repository.js';
import { ItemsRepository } from '../../persistence/items.repository.js';

/**
 * WIRE NAME: durable, msg_handled.consumer and deadletter.<name>; never rename. Entries of stages
 * that set no status (dataset, webhook) are acked before any transaction opens.
 */
export const StageEnteredConsumer = defineConsumer({
  stream: 'WORKFLOW',
  durable: 'items-stage-entered',
  filterSubject: 'workflow.stage.entered',
  concurrency: 4,
  relevant: (event: CloudEvent) => statusForStage((event as TypedEvent<'workflow.stage.entered'>).data.stageType) !== undefined,
});

/**
 * Entering an annotate / review / complete stage sets the item's status, many entries per
 * transaction (never two of one item). Idempotent twice over: the runner records the event id in
 * the batch's transaction, and the decider ignores a visit it has already applied (a republished
 * entry with a new event id).
 */
@Controller()
export class StageEnteredHandler {
  constructor(
    private readonly repo: ItemsRepository,
    private readonly items: ItemsQueryRepository,
  ) {}

  @OnEventBatch(StageEnteredConsumer, ['workflow.stage.entered'])
  async stageEntered(batch: BatchItem<TypedEvent<'workflow.stage.entered'>>[], ctx: BatchContext): Promise<HandlerOutcome[]> {
    return settleEach(batch, (item) => this.enter(item.event, ctx.manager));
  }

  private async enter(event: TypedEvent<'workflow.stage.entered'>, manager: EntityManager): Promise<HandlerOutcome> {
    const d = event.data;
    const to = statusForStage(d.stageType);
    if (!to) return Outcome.ack();
    const found = await this.items.viewAndDataset(d.itemId, manager);
    if (!found || found.view.projectId !== d.projectId) return Outcome.deadLetter(`unknown item ${d.itemId} in project ${d.projectId}`);
    const dataset = found.dataset ?? null;
    try {
      await this.repo.handle(
        d.itemId,
        {
          type: 'ChangeStatus',
          to,
          changedBy: `workflow:${d.stageId}`,
          reason: `entered ${d.stageType} stage ${d.stageName}`,
          now: new Date(d.enteredAt),
          source: 'workflow',
          visitId: d.visitId,
          dataset,
        },
        { source: 'items', projectId: d.projectId, correlationId: event.correlationid ?? event.id, causationId: event.id },
        manager,
      );
    } catch (err) {
      // Retrying cannot make an archived item enter a stage; an operator must look.
      if (err instanceof IllegalStatusTransitionError || (isDomainError(err) && err.code !== 'CONCURRENCY_CONFLICT')) {
        return Outcome.deadLetter(err.message);
      }
      // The item changed meanwhile (a client's command): nothing was written; tried again on its new state.
      if (isDomainError(err) || err instanceof ConcurrencyConflictError) return Outcome.retry({ delayMs: 0, reason: err.message });
      throw err;
    }
    return Outcome.ack();
  }
}
