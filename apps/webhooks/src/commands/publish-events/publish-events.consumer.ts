import { Controller } from '@nestjs/common';
import type { CloudEvent } from '@stagehook/contracts';
import { OnAnyEvent, Outcome, defineConsumer, type HandlerContext, type HandlerOutcome } from '@stagehook/messaging';
import { PROJECT_ID_PATTERN, isDomainError } from '@stagehook/platform';
import { PublishEventsHandler } from './publish-events.handler.js';

const PREFIX = 'published.';

/** `published.model.training.completed` carries `model.training.completed`; any other subject carries nothing valid. */
export function typeOfPublishedSubject(subjectType: string): string | undefined {
  return subjectType.startsWith(PREFIX) ? subjectType.slice(PREFIX.length) : undefined;
}

/** WIRE NAME: the registry's durable on the PUBLISHED stream (msg_handled, deadletter.<name>). */
export const BusIntakeConsumer = defineConsumer({
  stream: 'PUBLISHED',
  durable: 'webhooks-published-intake',
  filterSubject: 'published.>',
  foreignTypeOfSubject: typeOfPublishedSubject,
  // A refusal is a dead letter at once; only infrastructure failures are retried.
  maxDeliver: 10,
});

/**
 * Events that internal services publish on the bus (@stagehook/publisher) enter here: the runner
 * has checked the CloudEvents envelope and that `type` matches the subject; this checks the type is
 * registered in the event's project and the data matches the schema version it names
 * (`dataschemaversion`), and appends it with its own id, exactly as `POST /events` would. What
 * cannot be accepted is dead-lettered with the reason (never retried: it will not get better).
 */
@Controller()
export class BusIntakeHandler {
  constructor(private readonly intake: PublishEventsHandler) {}

  @OnAnyEvent(BusIntakeConsumer)
  async accept(event: CloudEvent, ctx: HandlerContext): Promise<HandlerOutcome> {
    const intake = this.intake;
    if (!PROJECT_ID_PATTERN.test(event.projectid)) return Outcome.deadLetter(`projectid: '${event.projectid.slice(0, 80)}' is not a project id`);
    // The runner's idempotency record covers redeliveries; this covers a republish after it.
    if (await intake.alreadyAccepted(event.id, ctx.manager)) return Outcome.ack();
    try {
      await intake.publish(
        [{ type: event.type, version: event.dataschemaversion, data: event.data as Record<string, unknown>, occurredAt: event.time }],
        { projectId: event.projectid, by: `service:${event.source}`, via: 'bus', ids: [event.id], ...(event.correlationid ? { requestId: event.correlationid } : {}) },
        ctx.manager,
      );
    } catch (err) {
      if (isDomainError(err)) return Outcome.deadLetter(err.message);
      throw err;
    }
    return Outcome.ack();
  }
}
