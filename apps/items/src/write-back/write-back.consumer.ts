import { Module } from '@nestjs/common';
import { BusNamespace } from '@stagehook/contracts';
import {
  consumersProvider,
  DependencyUnavailableError,
  DocumentMissingError,
  DocumentStore,
  DocumentTooLargeError,
  Outcome,
  prepared,
  type ConsumerRunnerOptions,
} from '@stagehook/messaging';
import { LOGGER, MetricsService, NATS_CONNECTION, isDomainError, type NatsConnection } from '@stagehook/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { checkAnnotation, type Annotation } from '../domain/annotation.js';
import { ItemsModule } from '../items/items.module.js';
import { ItemsRepository } from '../persistence/items.repository.js';

/** WIRE NAME: durable, msg_handled.consumer and deadletter.<name>; never rename. */
export const WRITE_BACK_DURABLE = 'items-write-back';

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
export function writeBackConsumer(deps: {
  dataSource: DataSource;
  nats: NatsConnection;
  namespace: BusNamespace;
  repo: ItemsRepository;
  logger: Logger;
  metrics: MetricsService;
}): ConsumerRunnerOptions {
  const documents = new DocumentStore(deps.nats, deps.namespace);
  return {
    dataSource: deps.dataSource,
    nats: deps.nats,
    namespace: deps.namespace,
    logger: deps.logger.child({ component: WRITE_BACK_DURABLE }),
    metrics: deps.metrics.registry,
    stream: 'DELIVERY',
    durable: WRITE_BACK_DURABLE,
    filterSubject: 'delivery.webhook.delivered',
    concurrency: 4,
    handlers: {
      'delivery.webhook.delivered': prepared<'delivery.webhook.delivered', Fetched>({
        // Before the transaction (never a NATS call inside one): the stored annotations.
        prepare: async (event) => {
          const ref = event.data.writeBack;
          if (!ref) return null;
          try {
            const bytes = await documents.get({ name: ref.document, bytes: ref.bytes }, { maxBytes: MAX_DOCUMENT_BYTES });
            const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as { annotations?: unknown };
            return Array.isArray(doc.annotations) ? { annotations: doc.annotations } : { rejected: 'write-back: the stored document holds no annotations' };
          } catch (err) {
            if (err instanceof DocumentMissingError || err instanceof DocumentTooLargeError || err instanceof SyntaxError) return { rejected: `write-back: ${err.message}` };
            // The bus is down or slow: wait for it in place, the outcome is good work.
            throw new DependencyUnavailableError('document store', err instanceof Error ? err.message : String(err), { cause: err });
          }
        },
        handle: async (event, ctx) => {
          const d = event.data;
          const fetched = ctx.prepared;
          if (!fetched || !d.itemId || !d.workflowId || !d.stageId || !d.visitId) return Outcome.ack();
          const view = await deps.repo.view(d.itemId, ctx.manager);
          if (!view || view.projectId !== d.projectId) return Outcome.deadLetter(`unknown item ${d.itemId} in project ${d.projectId}`);
          const source = {
            deliveryId: d.deliveryId,
            endpointId: d.endpointId,
            workflowId: d.workflowId,
            stageId: d.stageId,
            visitId: d.visitId,
            // Attributed to the endpoint that answered: the item's history says who drew them.
            by: `endpoint:${d.endpointId}`,
            at: d.at,
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
            await deps.repo.handle(
              d.itemId,
              { type: 'ApplyWriteBack', ...source, ...outcome },
              { source: 'items', projectId: d.projectId, correlationId: event.correlationid ?? event.id, causationId: event.id },
              ctx.manager,
            );
          } catch (err) {
            if (isDomainError(err) && err.code !== 'CONCURRENCY_CONFLICT') return Outcome.deadLetter(err.message);
            throw err;
          }
          return Outcome.ack();
        },
      }),
    },
  };
}

@Module({
  imports: [ItemsModule],
  providers: [
    consumersProvider({
      inject: [DataSource, NATS_CONNECTION, BusNamespace, ItemsRepository, LOGGER, MetricsService],
      useFactory: (dataSource: DataSource, nats: NatsConnection, namespace: BusNamespace, repo: ItemsRepository, logger: Logger, metrics: MetricsService) => [
        writeBackConsumer({ dataSource, nats, namespace, repo, logger, metrics }),
      ],
    }),
  ],
})
export class WriteBackModule {}
