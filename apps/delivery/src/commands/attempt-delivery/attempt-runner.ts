import { randomUUID } from 'node:crypto';
import type { AttemptOutcome } from '../../domain/delivery-lifecycle.js';
import { renderBody } from '../../domain/payload-formats.js';
import { isSuccess, type RetryPolicy } from '../../domain/retry-policy.js';
import { readWriteBack, WRITE_BACK_MAX_BYTES } from '../../domain/write-back.js';
import type { ClaimedDelivery } from '../../persistence/delivery-queue.repository.js';
import { startAttemptSpan } from '../../adapters/attempt-span.js';
import type { Guarded } from '../../adapters/breakers.js';
import { RESPONSE_BODY_CAP, type SendResult } from '../../adapters/http-sender.js';
import { requestHeaders, type RequestHeaders } from '../../adapters/request-headers.js';
import { errorText, type DispatcherDeps, type DispatcherSettings } from './dispatch-deps.js';
import type { OutcomeRecorder, RecordedAttempt } from './outcome-recorder.js';

/**
 * One attempt of a claimed delivery: its request built from the frozen body, sent through the
 * endpoint's breaker, and what came of it handed to the recorder. Any failure before a request
 * leaves (a secret that cannot be opened, an open breaker on a stage delivery) is a counted
 * attempt with its reason.
 */
export class AttemptRunner {
  constructor(
    private readonly deps: DispatcherDeps,
    private readonly s: DispatcherSettings,
    private readonly recorder: OutcomeRecorder,
    private readonly now: () => number,
    private readonly random: () => number,
  ) {}

  /** `leaseValid` says whether this node may still send the delivery. */
  async attempt(c: ClaimedDelivery, leaseValid: () => boolean): Promise<void> {
    const ep = c.endpoint;
    if (!ep) {
      await this.recorder.failUnsendable(c, 'endpoint disabled or deleted');
      return;
    }
    const policy = this.recorder.policyOf(c, ep.retryPolicy);
    const timestamp = Math.floor(this.now() / 1000);
    // The endpoint's payload format, from the frozen body: the same bytes on every retry.
    const body = renderBody(ep.payloadFormat, c.body);
    let prepared: RequestHeaders;
    try {
      prepared = requestHeaders(ep, this.deps.openSecret, c.id, timestamp, body);
    } catch (err) {
      // A secret sealed under a key no longer in SECRET_KEYS, or bound to another endpoint or
      // field: nothing can be sent, and retrying in a loop would not help either. The attempt
      // counts, with the reason, on its schedule.
      const reason = `${errorText(err)}; restore the key in SECRET_KEYS, or set the value again in the registry (rotate a signing secret)`;
      await this.recorder.record(this.recorded(c, policy, this.notSent(reason), {}));
      return;
    }
    const { headers, logged } = prepared;
    // The last moment to notice a lapsed lease before the receiver sees a second copy.
    if (!leaseValid()) {
      this.deps.logger.warn({ deliveryId: c.id }, 'lease expired before sending; the delivery is left to the node that holds it');
      this.deps.onLeaseLost?.();
      return;
    }
    // The attempt continues the message's trace; its outcome event continues the attempt's.
    const span = startAttemptSpan(c, ep.url, c.attempts + 1);
    const traced: ClaimedDelivery = { ...c, trace: span.trace };
    const traceHeaders = { traceparent: span.trace.traceparent, ...(span.trace.tracestate ? { tracestate: span.trace.tracestate } : {}) };
    let guarded: Guarded<SendResult>;
    try {
      guarded = await this.deps.breakers.fire(
        c.endpointId,
        // A write-back stage reads the whole answer (up to its bound, one byte more to notice a larger one).
        () =>
          this.deps.sender.send({
            url: ep.url,
            headers: { ...headers, ...traceHeaders },
            body,
            timeoutMs: ep.timeoutMs,
            ...(c.writeBack ? { responseCap: WRITE_BACK_MAX_BYTES + 1 } : {}),
          }),
        (r) => r.statusCode !== null && isSuccess(r.statusCode),
      );
    } catch (err) {
      span.end({ refused: errorText(err) });
      throw err;
    }
    const sentHeaders = { ...logged, ...traceHeaders };
    if (guarded.kind === 'rejected') {
      span.end({ refused: 'circuit breaker open' });
      if (c.schedule === 'stage') {
        // An item waits in its webhook stage: the stage's short schedule runs on while the breaker
        // stays open (one half-open probe per reset period would stretch it to hours), each
        // refusal a failed attempt with its reason, and the item routes through `failed` in time.
        await this.recorder.record(this.recorded(traced, policy, this.notSent('circuit breaker open: the endpoint has been failing; not sent'), sentHeaders));
        return;
      }
      // Open breaker: a standard delivery (hours of schedule) waits for the half-open probe
      // without spending an attempt.
      await this.deps.deliveries.release(this.s.node, [c.id], this.s.breakerBackoffMs);
      return;
    }
    const r = guarded.result;
    span.end(r);
    if (c.writeBack && r.statusCode !== null && isSuccess(r.statusCode)) {
      await this.recorder.record(await this.writeBack(traced, policy, r, sentHeaders));
      return;
    }
    await this.recorder.record(this.recorded(traced, policy, r, sentHeaders));
  }

  /**
   * A write-back stage's 2xx: its body must hold Darwin annotations. Malformed (not JSON, not
   * annotations, too large) fails the attempt with the reason, so the stage's schedule retries it
   * and finally routes `failed`. Accepted, the annotations are stored before the attempt is
   * recorded (never a NATS call inside the record's transaction) under a name of this attempt,
   * so a re-sent attempt never meets a different document under its name. A store that cannot
   * be reached also fails the attempt, counted, with the reason: the attempt cannot be kept
   * without its document, and a counted retry is what the stage's schedule is for.
   */
  private async writeBack(c: ClaimedDelivery, policy: RetryPolicy, r: SendResult, logged: Record<string, string>): Promise<RecordedAttempt> {
    const logR = { ...r, responseBody: r.responseBody.slice(0, RESPONSE_BODY_CAP) };
    const read = readWriteBack(r.responseBody, { truncated: r.truncated === true, newId: randomUUID });
    if (!read.ok) return this.recorded(c, policy, logR, logged, { refused: read.reason });
    if (!this.deps.putDocument) return this.recorded(c, policy, logR, logged, { refused: 'write-back: no document store configured' });
    const json = Buffer.from(JSON.stringify({ annotations: read.annotations }));
    try {
      // WIRE NAME pattern: writeback.<deliveryId>.<attempt> (read by items).
      const ref = await this.deps.putDocument(`writeback.${c.id}.${c.attempts + 1}`, json);
      return this.recorded(c, policy, logR, logged, { writeBack: { document: ref.name, bytes: ref.bytes, annotations: read.annotations.length } });
    } catch (err) {
      return this.recorded(c, policy, logR, logged, { refused: `write-back: the annotations could not be stored (${errorText(err)})` });
    }
  }

  /** An attempt that failed before any request left, with its reason. */
  private notSent(reason: string): SendResult {
    return { statusCode: null, responseHeaders: {}, responseBody: '', error: reason, timedOut: false, startedAt: new Date(this.now()), durationMs: 0 };
  }

  /**
   * The attempt's log entry and the lifecycle's decision on it. `refused`: an answer the stage
   * cannot accept (a malformed write-back body) is a failed attempt despite its status.
   */
  private recorded(
    c: ClaimedDelivery,
    policy: RetryPolicy,
    r: SendResult,
    logged: Record<string, string>,
    more: { refused?: string; writeBack?: AttemptOutcome['writeBack'] } = {},
  ): RecordedAttempt {
    const outcome: AttemptOutcome = {
      statusCode: r.statusCode,
      retryAfter: r.responseHeaders['retry-after'],
      error: r.error,
      timedOut: r.timedOut,
      ...more,
    };
    const attempt = {
      deliveryId: c.id,
      n: c.attempts + 1,
      startedAt: r.startedAt,
      durationMs: r.durationMs,
      statusCode: r.statusCode,
      error: more.refused ?? r.error,
      requestHeaders: logged,
      responseHeaders: r.statusCode !== null ? r.responseHeaders : null,
      responseBody: r.statusCode !== null ? r.responseBody : null,
      sentBy: this.s.node,
    };
    return this.recorder.decide(c, attempt, outcome, policy, this.random());
  }
}
