import { createHash } from 'node:crypto';
import type { StructuredLogger } from '@stagehook/contracts';
import type { DataSource, QueryRunner } from 'typeorm';

/**
 * Which relay of a name publishes, and how the others reach it. The leader holds a session
 * advisory lock on a pooled connection of its own (if that connection dies the lock goes with it
 * and another replica takes over) and LISTENs on the relay's channel there; a replica that does
 * not lead tells it of its appends with NOTIFY, so they are published as they commit, not at the
 * leader's next poll.
 */
export class RelayLeadership {
  /** The advisory lock only the leader holds. */
  private readonly lockKey: string;
  /** Where followers announce their appends to the leader (LISTEN/NOTIFY, per database). */
  private readonly channel: string;
  /** The leader's listener on its connection, removed when it gives the lock back. */
  private unlisten: (() => void) | undefined;
  /** A follower's notification in flight, and whether another append came meanwhile. */
  private notifying = false;
  private notifyAgain = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly name: string,
    private readonly log: StructuredLogger,
    /** Called when a follower's notification reaches this leader. */
    private readonly onNotified: () => void,
  ) {
    this.lockKey = `stagehook.relay.${name}`;
    // A channel name is an identifier of at most 63 bytes: a digest of the relay's name fits any name.
    this.channel = `stagehook_relay_${createHash('sha256').update(name).digest('hex').slice(0, 32)}`;
  }

  /**
   * Takes the lock on a connection of its own and listens there: the connection to lead on, or
   * undefined when another relay holds the lock. If anything fails once the lock is taken, it is
   * given back before the connection returns to the pool (see `release`).
   */
  async acquire(): Promise<QueryRunner | undefined> {
    const conn = this.dataSource.createQueryRunner();
    let locked = false;
    try {
      await conn.connect();
      const [row] = (await conn.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS ok`, [this.lockKey])) as { ok: boolean }[];
      if (!row.ok) {
        await conn.release();
        return undefined;
      }
      locked = true;
      await this.listen(conn);
      return conn;
    } catch (err) {
      if (locked) await this.release(conn);
      else await conn.release().catch(() => undefined);
      throw err;
    }
  }

  /**
   * The lock, then the LISTEN, each on its own (one failing must not keep the other), then the
   * connection, back to the pool. The lock is a session lock: left on a pooled connection, it
   * would keep every relay of this name from leading for as long as that connection lives. A
   * connection that cannot even unlock is broken, and its lock and LISTEN go with it.
   */
  async release(conn: QueryRunner): Promise<void> {
    this.unlisten?.();
    this.unlisten = undefined;
    await conn.query(`SELECT pg_advisory_unlock(hashtext($1))`, [this.lockKey]).catch(() => undefined);
    await conn.query(`UNLISTEN *`).catch(() => undefined);
    await conn.release().catch(() => undefined);
  }

  /**
   * Tells the leader, whichever process it is in, that something was appended. One
   * notification in flight at a time; appends meanwhile make one more after it, not one each.
   * Best effort: a lost one costs at most the leader's idle poll.
   */
  notify(): void {
    if (this.notifying) {
      this.notifyAgain = true;
      return;
    }
    this.notifying = true;
    this.dataSource
      .query(`SELECT pg_notify($1, '')`, [this.channel])
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message, relay: this.name }, 'relay: could not notify the leader'))
      .finally(() => {
        this.notifying = false;
        if (this.notifyAgain) {
          this.notifyAgain = false;
          this.notify();
        }
      });
  }

  /** Followers' notifications arrive on the leader's connection's client, between its queries. */
  private async listen(conn: QueryRunner): Promise<void> {
    const client: unknown = await conn.connect();
    if (!isNotifying(client)) {
      this.log.warn({ relay: this.name }, 'relay: the connection cannot LISTEN; other replicas’ events wait for the idle poll');
      return;
    }
    await conn.query(`LISTEN ${this.channel}`);
    const onNotification = (msg: { channel: string }) => {
      if (msg.channel === this.channel) this.onNotified();
    };
    client.on('notification', onNotification);
    this.unlisten = () => client.removeListener('notification', onNotification);
  }
}

/** A pg client, which emits LISTEN's notifications. */
interface NotifyingClient {
  on(event: 'notification', listener: (msg: { channel: string }) => void): unknown;
  removeListener(event: 'notification', listener: (msg: { channel: string }) => void): unknown;
}

function isNotifying(client: unknown): client is NotifyingClient {
  return (
    typeof client === 'object' &&
    client !== null &&
    typeof (client as Partial<NotifyingClient>).on === 'function' &&
    typeof (client as Partial<NotifyingClient>).removeListener === 'function'
  );
}
