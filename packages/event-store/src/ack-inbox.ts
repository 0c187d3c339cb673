import { JetStreamApiError, JetStreamError, PubHeaders, type ApiError, type JetStreamPublishOptions, type PubAck } from '@nats-io/jetstream';
import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/nats-core';

/** Publishes one message to JetStream and resolves with the server's ack. */
export type RelayPublish = (subject: string, payload: string, opts: Partial<JetStreamPublishOptions>) => Promise<PubAck>;

interface Waiting {
  resolve: (ack: PubAck) => void;
  reject: (err: Error) => void;
  deadline: number;
}

/**
 * JetStream publishes whose acks all come back on one wildcard subscription, matched by the
 * reply subject's last token: what `JetStreamClient.publish` does per message through a request
 * (a reply mux entry, a timer, and two `Error`s made up front for their stack traces) done once
 * for the relay. Those were a third of the relay's CPU per event, and the relay is CPU-bound on
 * its own process. The acks mean the same: the server's `PubAck`, or its API error
 * (`JetStreamApiError`, with `code` = JetStream's error code), or a no-responders status
 * (no stream, a leader change) and a timeout, each a rejection.
 */
export class AckInbox {
  private readonly prefix = createInbox();
  private sub: Subscription | undefined;
  private seq = 0;
  /** In publish order, so deadlines ascend: a sweep stops at the first one not due. */
  private readonly waiting = new Map<number, Waiting>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {}

  readonly publish: RelayPublish = (subject, payload, opts) => {
    // Subscribed before the first publish on the same connection: the server has it before any ack.
    this.sub ??= this.nc.subscribe(`${this.prefix}.*`, { callback: (_err, msg) => this.settle(msg) });
    const token = ++this.seq;
    const h = headers();
    if (opts.msgID) h.set(PubHeaders.MsgIdHdr, opts.msgID);
    if (opts.expect?.lastSequence !== undefined) h.set(PubHeaders.ExpectedLastSeqHdr, String(opts.expect.lastSequence));
    return new Promise<PubAck>((resolve, reject) => {
      this.waiting.set(token, { resolve, reject, deadline: Date.now() + this.timeoutMs });
      if (!this.timer) this.arm(this.timeoutMs);
      try {
        this.nc.publish(subject, payload, { reply: `${this.prefix}.${token}`, headers: h });
      } catch (err) {
        this.waiting.delete(token);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  };

  /** Stops listening; publishes still waiting fail. */
  close(): void {
    this.sub?.unsubscribe();
    this.sub = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiting.values()) w.reject(new Error('relay stopped before the publish was acknowledged'));
    this.waiting.clear();
  }

  private settle(msg: Msg): void {
    const token = Number(msg.subject.slice(this.prefix.length + 1));
    const w = this.waiting.get(token);
    // An ack after its publish timed out: the relay already republishes it (a duplicate).
    if (!w) return;
    this.waiting.delete(token);
    if (msg.headers?.hasError) {
      w.reject(
        new JetStreamError(msg.headers.code === 503 ? 'no responders: no JetStream stream took the publish' : `publish failed: ${msg.headers.code} ${msg.headers.description}`),
      );
      return;
    }
    let ack: { stream?: string; seq?: number; duplicate?: boolean; domain?: string; error?: ApiError };
    try {
      ack = msg.json();
    } catch {
      w.reject(new JetStreamError('invalid ack response'));
      return;
    }
    if (ack.error) w.reject(new JetStreamApiError(ack.error));
    else if (!ack.stream || typeof ack.seq !== 'number') w.reject(new JetStreamError('invalid ack response'));
    else w.resolve({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate ?? false, ...(ack.domain ? { domain: ack.domain } : {}) });
  }

  private arm(ms: number): void {
    // Whatever waits on a publish keeps the process alive; the sweep alone need not.
    this.timer = setTimeout(() => this.sweep(), ms).unref();
  }

  private sweep(): void {
    this.timer = undefined;
    const now = Date.now();
    for (const [token, w] of this.waiting) {
      if (w.deadline > now) {
        this.arm(w.deadline - now);
        return;
      }
      this.waiting.delete(token);
      w.reject(new JetStreamError(`publish timed out after ${this.timeoutMs} ms`));
    }
  }
}
