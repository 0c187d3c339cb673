import { JetStreamApiError } from '@nats-io/jetstream';
import { BusNamespace, cloudEventJson, silentLogger, streamKeyForType, type StructuredLogger } from '@stagehook/contracts';
import type { QueryRunner } from 'typeorm';
import { AckInbox, type RelayPublish } from './ack-inbox.js';
import { RelayLeadership } from './relay-leadership.js';
import type { RelayOptions, RelayStats } from './relay-options.js';
import { type Checkpoint, type PendingRead, type PendingRow, readCheckpoint, readPending, relayLag, writeCheckpoint } from './relay-sql.js';
import { tracedPublish } from './trace.js';

export type { RelayPublish } from './ack-inbox.js';
export type { RelayOptions, RelayStats } from './relay-options.js';

/** JetStream's error code for a publish whose `Nats-Expected-Last-Sequence` did not hold. */
const WRONG_LAST_SEQUENCE = 10071;

/**
 * Publishes committed events to JetStream in commit-safe order, with `Nats-Msg-Id` = event id,
 * and checkpoints what it published.
 *
 * Order and gaps: a global position is taken at insert but becomes visible at commit, so
 * "position > last" skips events of slow transactions. The relay reads only events whose
 * transaction id is below the oldest transaction still running in this database (HORIZON_SQL in relay-sql.ts):
 * those can no longer change, so (transaction_id, global_position) is a stable order and a
 * checkpoint in it never passes an event that commits later. A long-open transaction in this
 * database holds the relay back (visible as relay lag); it never makes it skip.
 *
 * Leadership (RelayLeadership): a session advisory lock on the relay's own connection, so one
 * relay per service publishes however many replicas run; if that connection dies the lock goes
 * with it and another replica takes over. Publishing after a crash between publish and checkpoint repeats events:
 * JetStream drops repeats inside its duplicate window and consumers dedupe by event id.
 */
export class OutboxRelay {
  private readonly acks: AckInbox;
  private readonly send: RelayPublish;
  /**
   * Per JetStream stream this relay publishes to, the sequence of the last message it stored
   * there: the expected last sequence of the next publish. Unknown after leading starts, after a
   * duplicate ack or a foreign publish broke the chain; the next publish then goes alone.
   */
  private readonly lastStored = new Map<string, number>();
  private readonly namespace: BusNamespace;
  private readonly log: StructuredLogger;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly idlePollMs: number;
  private readonly lockRetryMs: number;
  private readonly leadership: RelayLeadership;
  /** The last read found committed events behind the horizon: look again after `pollMs`. */
  private heldBack = false;
  private conn: QueryRunner | undefined;
  private readonly checkpointEveryMs: number;
  /** Where reading goes on from: the last event published, stored or not yet. */
  private checkpoint: Checkpoint = { transactionId: '0', position: '0' };
  /** The last event published and not yet in a checkpoint write (see `checkpointEveryMs`). */
  private unsaved: PendingRow | undefined;
  private lastSaveAt = 0;
  /** The batch after the one being published, read meanwhile (see publishBatch). */
  private prefetched: Promise<PendingRead> | undefined;
  /** The write of the last batch's checkpoint, made while the next batch is published. */
  private saving: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wakeUp: (() => void) | undefined;
  private stopWait: (() => void) | undefined;
  private woken = false;
  private unsubscribe: (() => void) | undefined;
  private readonly s: RelayStats = { leader: false, published: 0, duplicates: 0, batches: 0, reads: 0, errors: 0, lastPublishedAt: null };

  constructor(private readonly opts: RelayOptions) {
    this.acks = new AckInbox(opts.nats, opts.publishTimeoutMs ?? 10_000);
    this.send = opts.publish ?? this.acks.publish;
    this.namespace = opts.namespace ?? BusNamespace.root;
    this.log = opts.logger ?? silentLogger;
    this.batchSize = opts.batchSize ?? 500;
    this.pollMs = opts.pollMs ?? 25;
    this.idlePollMs = opts.store ? (opts.idlePollMs ?? 1_000) : this.pollMs;
    // A follower's notification wakes this relay only: one arriving while it resigns is not sent on again.
    this.leadership = new RelayLeadership(opts.dataSource, opts.name, this.log, () => this.rouse());
    // From the start, not from `start()`: the service's consumers may append before the relay
    // starts, and those appends must reach whichever replica leads.
    this.subscribe();
    this.lockRetryMs = opts.lockRetryMs ?? 1000;
    this.checkpointEveryMs = opts.checkpointEveryMs ?? 100;
  }

  get stats(): Readonly<RelayStats> {
    return { ...this.s };
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.subscribe();
    this.loop = this.run();
  }

  private subscribe(): void {
    this.unsubscribe ??= this.opts.store?.onAppended(() => this.wake());
  }

  /** Finishes the batch in hand, checkpoints it, and gives up leadership. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopWait?.();
    await this.loop;
    this.loop = undefined;
    await this.resign();
    // Appends while stopping (consumers draining) reached the leader, this one or another.
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.acks.close();
  }

  /**
   * Something was appended: the leader reads now; a follower tells the leader, which may be
   * another process (the store's appends call this whichever this relay is).
   */
  wake(): void {
    if (this.s.leader) this.rouse();
    else this.leadership.notify();
  }

  /** Ends the idle wait in progress, or the next one before it starts. */
  private rouse(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Events not yet published, and how long the oldest has waited. */
  lag(): Promise<{ pending: number; oldestAgeMs: number }> {
    return relayLag(this.opts.dataSource, this.opts.name);
  }

  private async run(): Promise<void> {
    let backoffMs = 100;
    while (!this.stopping) {
      try {
        if (!this.s.leader && !(await this.tryLead())) {
          // A follower ignores wake-ups: every local append would otherwise retry the lock.
          await this.idle(this.lockRetryMs, false);
          continue;
        }
        const published = await this.publishBatch();
        this.s.reads++;
        backoffMs = 100;
        await this.saveIfDue();
        if (published < this.batchSize) {
          await this.settle();
          // An unsaved checkpoint is written when due, even with nothing more to publish.
          const dueInMs = this.unsaved ? Math.max(0, this.lastSaveAt + this.checkpointEveryMs - Date.now()) : Infinity;
          await this.idle(Math.min(this.heldBack ? this.pollMs : this.idlePollMs, dueInMs), true);
        }
      } catch (err) {
        this.s.errors++;
        this.log.error({ err: (err as Error).message, relay: this.opts.name }, 'relay: batch failed; retrying');
        // What was stored before the failure is checkpointed if the database still answers, so
        // that the next leader (this relay, most often) does not publish it again.
        await this.flushCheckpoint().catch(() => undefined);
        await this.resign();
        await this.idle(backoffMs, false);
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
    // Stopping: the last batch's checkpoint is written before leadership is given up.
    await this.flushCheckpoint().catch((err: unknown) => this.log.error({ err: (err as Error).message, relay: this.opts.name }, 'relay: last checkpoint failed'));
  }

  /**
   * When `checkpointEveryMs` has passed since the last write (or `now`): waits for the write in
   * flight, whose failure fails the relay here like a failed publish (the next leader repeats
   * from the last stored checkpoint), then starts writing the checkpoint of what was published,
   * which the next call, an idle wait, resigning or stopping waits for. One write at a time on
   * the one connection: checkpoints land in order and never pile up.
   */
  private async saveIfDue(now = false): Promise<void> {
    if (!this.unsaved || (!now && Date.now() - this.lastSaveAt < this.checkpointEveryMs)) return;
    await this.settle();
    const last = this.unsaved;
    if (!last || !this.conn) return;
    this.unsaved = undefined;
    this.lastSaveAt = Date.now();
    const saving = writeCheckpoint(this.opts.dataSource, this.conn.manager, this.opts.name, last);
    saving.catch(() => undefined); // handled where it is awaited (settle, resign)
    this.saving = saving;
  }

  /** Writes the checkpoint of everything published (if any) and waits for it. */
  private async flushCheckpoint(): Promise<void> {
    await this.saveIfDue(true);
    await this.settle();
  }

  /** Waits for the checkpoint write in flight; its failure fails the batch that awaits it. */
  private async settle(): Promise<void> {
    const saving = this.saving;
    this.saving = undefined;
    await saving;
  }

  /** Takes the leadership (see RelayLeadership) and reads the checkpoint to go on from. */
  private async tryLead(): Promise<boolean> {
    const conn = await this.leadership.acquire();
    if (!conn) return false;
    try {
      this.checkpoint = await readCheckpoint(conn, this.opts.name);
    } catch (err) {
      // Given back at once: a failed checkpoint read used to leave the lock on a pooled connection.
      await this.leadership.release(conn);
      throw err;
    }
    this.conn = conn;
    this.s.leader = true;
    this.log.info({ relay: this.opts.name, checkpoint: this.checkpoint }, 'relay: leading');
    return true;
  }

  private async resign(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    this.s.leader = false;
    this.lastStored.clear();
    // A read ahead of what was published is dropped (it may be past a failed publish); a
    // checkpoint in flight lands or not, which only decides how much the next leader repeats.
    this.prefetched = undefined;
    this.unsaved = undefined;
    await this.saving?.catch(() => undefined);
    this.saving = undefined;
    if (conn) await this.leadership.release(conn);
  }

  /** Up to a batch of publishable events after `after`, in (transaction id, global position) order. */
  private read(after: Checkpoint): Promise<PendingRead> {
    return readPending(this.opts.dataSource, this.conn!.manager, after, this.batchSize);
  }

  /**
   * Publishes the next batch; reading goes on after it. No database round trip waits on the bus:
   * after a full batch the next one is read while this one is published (a read ahead is as
   * safe as a later one, its horizon is only older), and the checkpoint is written apart from
   * publishing, at most every `checkpointEveryMs` (see `saveIfDue`).
   */
  private async publishBatch(): Promise<number> {
    const { rows, heldBack } = await (this.prefetched ?? this.read(this.checkpoint));
    this.prefetched = undefined;
    this.heldBack = heldBack;
    if (rows.length === 0) return 0;
    if (rows.length === this.batchSize) {
      const last = rows[rows.length - 1];
      const next = this.read({ transactionId: last.transaction_id, position: last.global_position });
      // Awaited by the next batch, or dropped with a failed one: never an unhandled rejection.
      next.catch(() => undefined);
      this.prefetched = next;
    }

    let from = 0;
    while (from < rows.length) {
      const { done, failure } = await this.publishChain(rows, from);
      if (done > 0) this.published(rows[from + done - 1], done);
      from += done;
      if (failure) throw new Error(`publish of ${rows[from].type} ${rows[from].event_id} failed: ${(failure as Error).message}`);
    }
    return rows.length;
  }

  /**
   * Publishes `rows[from..]` pipelined and returns how many, from `from`, are stored in order.
   *
   * Order invariant: the stream holds a service's events in commit order, so an aggregate's
   * events in version order. Pipelining alone breaks it when publish k fails (a leader change,
   * a full store) while k+1 is stored: k would be republished after k+1. So every pipelined
   * publish expects the stream's last sequence to be the one stored just before it
   * (`Nats-Expected-Last-Sequence`): once one is not stored, the server refuses all that follow,
   * and the retry continues from the first one not stored. A publish whose expected sequence is
   * unknown (first after leading, after a duplicate, or after another publisher wrote to the
   * stream) goes alone, without expectation, and its ack teaches the sequence again.
   *
   * `failure`: a publish failed for another reason (the relay backs off and retries).
   */
  private async publishChain(rows: PendingRow[], from: number): Promise<{ done: number; failure?: unknown }> {
    // The round: rows whose expected last sequence is known, or one row alone whose is not.
    const round: { row: PendingRow; chain: string; expect: number | undefined }[] = [];
    const expected = new Map<string, number>();
    for (let i = from; i < rows.length; i++) {
      const chain = streamKeyForType(rows[i].type) ?? rows[i].type.split('.')[0];
      const last = expected.get(chain) ?? this.lastStored.get(chain);
      if (last === undefined && round.length > 0) break;
      round.push({ row: rows[i], chain, expect: last });
      if (last === undefined) break;
      expected.set(chain, last + 1);
    }
    // One connection delivers publishes to the server in the order they are sent, so firing the
    // round before awaiting keeps commit order at pipelined speed.
    const acks = await Promise.allSettled(
      round.map(({ row: r, expect }) =>
        tracedPublish(r.metadata, { type: r.type, subject: this.namespace.subject(r.type), eventId: r.event_id }, (metadata) =>
          this.send(
            this.namespace.subject(r.type),
            cloudEventJson(
              {
                id: r.event_id,
                type: r.type,
                schemaVersion: r.schema_version,
                metadata,
                streamId: r.stream_id,
                streamVersion: r.stream_version,
                createdAt: r.created_at,
              },
              r.data,
            ),
            { msgID: r.event_id, ...(expect !== undefined ? { expect: { lastSequence: expect } } : {}) },
          ),
        ),
      ),
    );
    let done = 0;
    for (const [i, a] of acks.entries()) {
      const { chain } = round[i];
      if (a.status === 'rejected') {
        // The chain broke (a duplicate before it did not advance the stream, or another
        // publisher wrote): nothing after it was stored; relearn the sequence and go on.
        this.lastStored.delete(chain);
        if (a.reason instanceof JetStreamApiError && a.reason.code === WRONG_LAST_SEQUENCE) return { done };
        return { done, failure: a.reason };
      }
      // A duplicate (stored before a crash between publish and checkpoint) did not advance the
      // stream, and its ack's seq is the old copy's: what we knew of the last sequence still holds.
      // After a crash the repeats therefore go one at a time until the first new event.
      if (a.value.duplicate) this.s.duplicates++;
      else this.lastStored.set(chain, a.value.seq);
      done++;
    }
    return { done };
  }

  /** `count` events up to `last` are stored in the stream: reading goes on after them. */
  private published(last: PendingRow, count: number): void {
    this.checkpoint = { transactionId: last.transaction_id, position: last.global_position };
    this.unsaved = last;
    this.s.published += count;
    this.s.batches++;
    this.s.lastPublishedAt = new Date();
  }

  private idle(ms: number, wakeable: boolean): Promise<void> {
    if (this.stopping || (wakeable && this.woken)) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        this.stopWait = undefined;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = wakeable ? done : undefined;
      this.stopWait = done;
    });
  }
}
