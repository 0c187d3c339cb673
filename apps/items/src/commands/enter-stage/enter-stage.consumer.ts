import { Controller } from '@nestjs/common';
import type { CloudEvent } from '@stagehook/contracts';
import { OnEvent, Outcome, defineConsumer, type HandlerContext, type HandlerOutcome, type TypedEvent } from '@stagehook/messaging';
import { isDomainError } from '@stagehook/platform';
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
 * Entering an annotate / review / complete stage sets the item's status. Idempotent twice over:
 * the runner records the event id in the handler's transaction, and the decider ignores a visit
 * it has already applied (a republished entry with a new event id).
 */
@Controller()
export class StageEnteredHandler {
  constructor(
    private readonly repo: ItemsRepository,
    private readonly items: ItemsQueryRepository,
  ) {}

  @OnEvent(StageEnteredConsumer, 'workflow.stage.entered')
  async stageEntered(event: TypedEvent<'workflow.stage.entered'>, ctx: HandlerContext): Promise<HandlerOutcome> {
    const d = event.data;
    const to = statusForStage(d.stageType);
    if (!to) return Outcome.ack();
    const view = await this.items.view(d.itemId, ctx.manager);
    if (!view || view.projectId !== d.projectId) return Outcome.deadLetter(`unknown item ${d.itemId} in project ${d.projectId}`);
    const dataset = (await this.items.dataset(d.projectId, view.datasetId, ctx.manager)) ?? null;
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
  }
}
