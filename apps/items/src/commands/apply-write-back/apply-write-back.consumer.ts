import { Controller } from '@nestjs/common';
import type { CloudEvent } from '@stagehook/contracts';
import {
  DependencyUnavailableError,
  DocumentMissingError,
  DocumentStore,
  DocumentTooLargeError,
  OnEvent,
  Outcome,
  PrepareEvent,
  defineConsumer,
  type HandlerContext,
  type HandlerOutcome,
  type TypedEvent,
} from '@stagehook/messaging';
import { isDomainError } from '@stagehook/platform';
import { checkAnnotation, type Annotation } from '../../domain/annotation.js';
import { ItemsQueryRepository } from '../../persistence/items.query-repository.js';
import { ItemsRepository } from '../../persistence/items.repository.js';

/**
 * WIRE NAME: durable, msg_handled.consumer and deadletter.<name>; never rename. Deliveries that
 * stored no write-back (nearly all of them) are acked before any transaction opens.
 */
export const WriteBackConsumer = defineConsumer({
  stream: 'DELIVERY',
  durable: 'items-write-back',
  filterSubject: 'delivery.webhook.delivered',
  concurrency: 4,
  relevant: (event: CloudEvent) => Boolean((event as TypedEvent<'delivery.webhook.delivered'>).data.writeBack),
});

/** Above delivery's own bound (1 MiB of response body) with room for the ids it adds. */
const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

/** The stored annotations, or why they cannot be applied (the visit then routes `failed`). */
type Fetched = { annotations: unknown[] } | { rejected: string } | null;

/**
 * Write-back (V7's BYOM): a webhook stage's receiver answered with annotations; delivery checked
 * their shape and stored them in the document store. They are checked again here against the
 * item's own slots, then added to the item with one `item.writeback.applied` (or
 * `item.writeback.rejected`) event that the workflow waits for before it routes the visit.
 * Idempotent: the runner records the event id with the effect, and the decider ignores a
 * delivery it has already applied.
 */
@Controller()
export class WriteBackHandler {
  constructor(
    private readonly repo: ItemsRepository,
    private readonly items: ItemsQueryRepository,
    private readonly documents: DocumentStore,
  ) {}

  /** Before the transaction (never a NATS call inside one): the stored annotations. */
  @PrepareEvent(WriteBackConsumer, 'delivery.webhook.delivered')
  async fetch(event: TypedEvent<'delivery.webhook.delivered'>): Promise<Fetched> {
    const ref = event.data.writeBack;
    if (!ref) return null;
    try {
      const bytes = await this.documents.get({ name: ref.document, bytes: ref.bytes }, { maxBytes: MAX_DOCUMENT_BYTES });
      const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as { annotations?: unknown };
      return Array.isArray(doc.annotations) ? { annotations: doc.annotations } : { rejected: 'write-back: the stored document holds no annotations' };
    } catch (err) {
      if (err instanceof DocumentMissingError || err instanceof DocumentTooLargeError || err instanceof SyntaxError) return { rejected: `write-back: ${err.message}` };
      // The bus is down or slow: wait for it in place, the outcome is good work.
      throw new DependencyUnavailableError('document store', err instanceof Error ? err.message : String(err), { cause: err });
    }
  }

  @OnEvent(WriteBackConsumer, 'delivery.webhook.delivered')
  async delivered(event: TypedEvent<'delivery.webhook.delivered'>, ctx: HandlerContext & { prepared: Fetched }): Promise<HandlerOutcome> {
    const fetched = ctx.prepared;
    const d = event.data;
    if (!fetched || !d.itemId || !d.workflowId || !d.stageId || !d.visitId) return Outcome.ack();
    const view = await this.items.view(d.itemId, ctx.manager);
    if (!view || view.projectId !== d.projectId) return Outcome.deadLetter(`unknown item ${d.itemId} in project ${d.projectId}`);
    const source = {
      deliveryId: d.deliveryId,
      endpointId: d.endpointId,
      workflowId: d.workflowId,
      stageId: d.stageId,
      visitId: d.visitId,
      // Attributed to the endpoint that answered: the item's history says who drew them.
      by: `endpoint:${d.endpointId}`,
    };
    let outcome: { annotations: Annotation[] } | { rejected: string };
    if ('rejected' in fetched) outcome = fetched;
    else {
      const annotations: Annotation[] = [];
      const problems: string[] = [];
      fetched.annotations.forEach((a, i) => {
        const r = checkAnnotation(a, view.slots, `annotations[${i}]`);
        if (r.ok) annotations.push(r.annotation);
        else problems.push(...r.errors.map((e) => `${e.path}: ${e.messages.join('; ')}`));
      });
      outcome = problems.length > 0 ? { rejected: `write-back does not fit the item: ${problems.slice(0, 5).join(', ')}` } : { annotations };
    }
    try {
      await this.repo.handle(
        d.itemId,
        { type: 'ApplyWriteBack', ...source, ...outcome, now: new Date(d.at) },
        { source: 'items', projectId: d.projectId, correlationId: event.correlationid ?? event.id, causationId: event.id },
        ctx.manager,
      );
    } catch (err) {
      if (isDomainError(err) && err.code !== 'CONCURRENCY_CONFLICT') return Outcome.deadLetter(err.message);
      throw err;
    }
    return Outcome.ack();
  }
}
