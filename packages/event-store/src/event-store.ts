import type { DataSource, EntityManager } from 'typeorm';
import type { InlineProjection, ProjectionStatement } from './projections.js';
import { APPENDED_COLUMNS, type AppendedRow, appendStatement } from './append-sql.js';
import { duplicateOr, EVENT_COLUMNS, type EventRow } from './rows.js';
import { sql } from './sql.js';
import { AfterCommit } from './after-commit.js';
import { parseAsJsonb } from './jsonb.js';
import { StateCache } from './state-cache.js';
import type { AppendOptions, AppendResult, CachedState, EventStoreOptions, ReadStreamOptions } from './store-options.js';
import { activeTraceContext } from './trace.js';
import {
  ConcurrencyConflictError,
  EventTooLargeError,
  narrowEvents,
  type DomainEvent,
  type EventToAppend,
  type ExpectedVersion,
  type StoredEvent,
  type StoredEventOf,
} from './types.js';
import { Upcasting } from './upcasting.js';

export type { AppendOptions, AppendResult, CachedState, EventStoreOptions, ReadStreamOptions } from './store-options.js';

export class EventStore {
  private readonly projections: InlineProjection[];
  private readonly upcasting: Upcasting;
  private readonly maxEventBytes: number;
  private readonly appendedListeners = new Set<() => void>();
  private readonly states: StateCache;
  private readonly afterCommit: AfterCommit;

  constructor(
    readonly dataSource: DataSource,
    opts: EventStoreOptions = {},
  ) {
    this.projections = opts.projections ?? [];
    this.upcasting = new Upcasting(opts.schemas);
    this.maxEventBytes = opts.maxEventBytes ?? 900_000;
    this.afterCommit = new AfterCommit(dataSource);
    this.states = new StateCache(this.afterCommit, opts.stateCacheSize ?? 256);
  }

  /** The state this process last folded for the stream, of a committed version (see StateCache). */
  cachedState(streamId: string): CachedState | undefined {
    return this.states.get(streamId);
  }

  /** Keeps a folded state; one folded inside `manager`'s transaction once that commits. */
  cacheState(streamId: string, entry: CachedState, manager?: EntityManager): void {
    this.states.set(streamId, entry, manager);
  }

  /**
   * The stream's snapshot of `snapshotVersion` (if any) and the events after it, in one round
   * trip: a cold load costs what reading a short stream did.
   */
  async readFromSnapshot(
    streamId: string,
    snapshotVersion: number,
    manager?: EntityManager,
  ): Promise<{ snapshot?: { streamVersion: number; state: unknown }; events: StoredEvent[] }> {
    const rows = await sql<EventRow & { kind: number }>(
      this.dataSource,
      manager,
      `SELECT * FROM (
         SELECT 0 AS kind, NULL::bigint AS global_position, stream_id, stream_version, NULL::uuid AS event_id, NULL::text AS type,
           NULL::integer AS schema_version, state AS data, NULL::jsonb AS metadata, created_at, NULL::text AS transaction_id
         FROM es_snapshots WHERE stream_id = $1 AND snapshot_version = $2
         UNION ALL
         SELECT 1, global_position, stream_id, stream_version, event_id, type, schema_version, data::json, metadata, created_at,
           transaction_id::text
         FROM es_events
         WHERE stream_id = $1
           AND stream_version > COALESCE((SELECT stream_version FROM es_snapshots WHERE stream_id = $1 AND snapshot_version = $2), 0)
       ) u ORDER BY kind, stream_version`,
      [streamId, snapshotVersion],
    );
    const snap = rows[0]?.kind === 0 ? rows[0] : undefined;
    return {
      ...(snap ? { snapshot: { streamVersion: snap.stream_version, state: snap.data } } : {}),
      events: (snap ? rows.slice(1) : rows).map((r) => this.toStored(r)),
    };
  }

  /**
   * Stores the state at `streamVersion` unless a newer one of the same decider version is there;
   * a row of another decider version is always replaced. Inside the caller's transaction when
   * `manager` is given, so it rolls back with the append it describes.
   */
  async writeSnapshot(streamId: string, snapshotVersion: number, streamVersion: number, state: unknown, manager?: EntityManager): Promise<void> {
    await sql(
      this.dataSource,
      manager,
      `INSERT INTO es_snapshots AS s (stream_id, snapshot_version, stream_version, state) VALUES ($1, $2, $3, $4)
       ON CONFLICT (stream_id) DO UPDATE
         SET snapshot_version = EXCLUDED.snapshot_version, stream_version = EXCLUDED.stream_version, state = EXCLUDED.state, created_at = now()
         WHERE s.snapshot_version <> EXCLUDED.snapshot_version OR s.stream_version < EXCLUDED.stream_version`,
      [streamId, snapshotVersion, streamVersion, JSON.stringify(state)],
    );
  }

  /** The schema version new events of `type` are written at. */
  schemaVersion(type: string): number {
    return this.upcasting.currentVersion(type);
  }

  /**
   * Called after an append of this store commits (inside a caller's transaction, once that
   * transaction commits). The relay listens to publish without waiting for its poll interval.
   */
  onAppended(listener: () => void): () => void {
    this.appendedListeners.add(listener);
    return () => this.appendedListeners.delete(listener);
  }

  private readonly notifyAppended = (): void => {
    for (const l of this.appendedListeners) l();
  };

  /**
   * Appends `events` to `streamId` if it is at `expected`, with its inline projections, in one
   * transaction (the caller's when `opts.manager` is given). A conflicting append throws
   * `ConcurrencyConflictError` and writes nothing.
   *
   * Moving the stream's version and inserting the events is one statement (a data-modifying CTE),
   * joined by the writes of the projections that can say them as statements (see
   * InlineProjection.statements): an append no other projection reacts to needs no explicit
   * transaction, one round trip, atomic as any single statement. The events come back from what
   * was sent, not from a RETURNING of their JSON, which PostgreSQL would send back and the driver
   * parse again; with their keys in jsonb's order, as a later read gives them.
   */
  async append(streamId: string, expected: ExpectedVersion, events: EventToAppend[], opts: AppendOptions = {}): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append: no events');
    const payloads = events.map((e) => this.encode(e));
    const streamType = opts.streamType ?? streamId.split('-')[0];
    // Undefined when a projection reacting to these events needs `apply`, in a transaction.
    const projected = this.projectionStatements(streamId, events);
    const run = async (tx: EntityManager | undefined): Promise<AppendResult> => {
      const statement = appendStatement(expected, events.length, projected ?? []);
      const [one] = events;
      const columns =
        events.length === 1
          ? [one.id, one.type, one.schemaVersion, payloads[0].data, payloads[0].metadata]
          : [
              events.map((e) => e.id),
              events.map((e) => e.type),
              events.map((e) => e.schemaVersion),
              `[${payloads.map((p) => p.data).join(',')}]`,
              `[${payloads.map((p) => p.metadata).join(',')}]`,
            ];
      const rows = await sql<AppendedRow>(this.dataSource, tx, statement.text, [
        streamId,
        typeof expected === 'number' && expected !== 0 ? expected : streamType,
        events.length,
        ...columns,
        ...statement.params,
      ]).catch((err: unknown) => {
        throw duplicateOr(err, events);
      });
      if (rows.length === 0) {
        const actual = await this.streamVersion(streamId, tx);
        const reason = expected === 0 || (expected !== 'any' && actual !== expected) ? 'version' : 'transaction_order';
        throw new ConcurrencyConflictError(streamId, expected, actual, reason);
      }
      const byVersion = new Map(rows.map((r) => [r.stream_version, r]));
      const first = Math.min(...byVersion.keys());
      const stored = events.map((e, i) => this.appended(streamId, e, payloads[i], byVersion.get(first + i)!));
      if (!projected) await this.project(stored, tx!);
      return { version: first + events.length - 1, events: stored };
    };
    const result = opts.manager || projected ? await run(opts.manager) : await this.dataSource.transaction(run);
    this.afterCommit.run(opts.manager, this.notifyAppended);
    return result;
  }

  /**
   * Appends one event to each of many streams at whatever version they are (`'any'`), in one
   * statement whatever the count: for services that end many aggregates at once (a delivery
   * outcome per delivery) and would otherwise pay two round trips per stream. Stream ids must be
   * distinct. Same guarantees as `append`: inline projections in the same transaction, and a
   * stream last appended by a newer transaction refuses the whole call
   * (`ConcurrencyConflictError`, nothing written once the caller's transaction rolls back).
   */
  async appendToStreams(entries: { streamId: string; event: EventToAppend }[], opts: AppendOptions & { manager: EntityManager }): Promise<StoredEvent[]> {
    if (entries.length === 0) return [];
    const ids = entries.map((e) => e.streamId);
    if (new Set(ids).size !== ids.length) throw new Error('appendToStreams: stream ids must be distinct');
    const payloads = entries.map((e) => this.encode(e.event));
    const tx = opts.manager;
    const rows = await sql<AppendedRow & { stream_id: string }>(
      this.dataSource,
      tx,
      `WITH s AS (
         INSERT INTO es_streams AS s (stream_id, stream_type, version)
         SELECT u.id, u.t, 1 FROM unnest($1::text[], $2::text[]) AS u(id, t)
         ON CONFLICT (stream_id) DO UPDATE
           SET version = s.version + 1, last_transaction_id = pg_current_xact_id(), updated_at = now()
           WHERE s.last_transaction_id <= pg_current_xact_id()
         RETURNING stream_id, version
       )
       INSERT INTO es_events (stream_id, stream_version, event_id, type, schema_version, data, metadata)
       SELECT s.stream_id, s.version, u.eid, u.t, u.sv, u.d, u.m
       FROM unnest($1::text[], $3::uuid[], $4::text[], $5::int[], $6::jsonb[], $7::jsonb[]) AS u(id, eid, t, sv, d, m)
       JOIN s ON s.stream_id = u.id
       RETURNING ${APPENDED_COLUMNS}, stream_id`,
      [
        ids,
        entries.map((e) => opts.streamType ?? e.streamId.split('-')[0]),
        entries.map((e) => e.event.id),
        entries.map((e) => e.event.type),
        entries.map((e) => e.event.schemaVersion),
        payloads.map((p) => p.data),
        payloads.map((p) => p.metadata),
      ],
    ).catch((err: unknown) => {
      throw duplicateOr(
        err,
        entries.map((e) => e.event),
      );
    });
    if (rows.length !== entries.length) {
      const advanced = new Set(rows.map((r) => r.stream_id));
      const refused = ids.find((id) => !advanced.has(id))!;
      throw new ConcurrencyConflictError(refused, 'any', await this.streamVersion(refused, tx), 'transaction_order');
    }
    const byStream = new Map(rows.map((r) => [r.stream_id, r]));
    const stored = entries.map((e, i) => this.appended(e.streamId, e.event, payloads[i], byStream.get(e.streamId)!)).sort((a, b) => a.globalPosition - b.globalPosition);
    await this.project(stored, tx);
    this.afterCommit.run(tx, this.notifyAppended);
    return stored;
  }

  /**
   * The statements of every projection reacting to `events` (one stream's append), or undefined
   * when one of them has none for these events.
   */
  private projectionStatements(streamId: string, events: readonly EventToAppend[]): ProjectionStatement[] | undefined {
    const out: ProjectionStatement[] = [];
    for (const p of this.projections) {
      // Data as the events were decided: what `apply` gets too, once stored and read back.
      const mine = events.filter((e) => p.handles.includes(e.type)).map((e) => ({ ...e, data: e.data as Record<string, unknown>, streamId }));
      if (mine.length === 0) continue;
      const st = p.statements?.(mine);
      if (!st) return undefined;
      out.push(...st);
    }
    return out;
  }

  private async project(stored: StoredEvent[], tx: EntityManager): Promise<void> {
    for (const p of this.projections) {
      const mine = stored.filter((e) => p.handles.includes(e.type));
      if (mine.length > 0) await p.apply(mine, tx);
    }
  }

  /** The stored form of an event just appended: what was sent, and what the database assigned. */
  private appended(streamId: string, e: EventToAppend, payload: { data: string; metadata: string }, row: AppendedRow): StoredEvent {
    return this.toStored({
      ...row,
      stream_id: streamId,
      event_id: e.id,
      type: e.type,
      schema_version: e.schemaVersion,
      data: parseAsJsonb(payload.data) as Record<string, unknown>,
      metadata: parseAsJsonb(payload.metadata) as StoredEvent['metadata'],
    });
  }

  /** The stream's current version; 0 when it does not exist. */
  async streamVersion(streamId: string, manager?: EntityManager): Promise<number> {
    const rows = await sql<{ version: number }>(this.dataSource, manager, `SELECT version FROM es_streams WHERE stream_id = $1`, [streamId]);
    return rows[0]?.version ?? 0;
  }

  /**
   * The stream's events in version order, upcast to their current schema. With `types`, typed as
   * the union `E` of those types' events; an event of any other type fails the read with
   * `UnexpectedEventTypeError` rather than reaching code that cannot handle it.
   */
  readStream(streamId: string, opts?: ReadStreamOptions & { types?: undefined }): Promise<StoredEvent[]>;
  readStream<E extends DomainEvent>(streamId: string, opts: ReadStreamOptions & { types: readonly E['type'][] }): Promise<StoredEventOf<E>[]>;
  async readStream(streamId: string, opts: ReadStreamOptions & { types?: readonly string[] } = {}): Promise<StoredEvent[]> {
    const rows = await sql<EventRow>(
      this.dataSource,
      opts.manager,
      `SELECT ${EVENT_COLUMNS} FROM es_events
       WHERE stream_id = $1 AND stream_version >= $2 AND stream_version <= $3
       ORDER BY stream_version`,
      [streamId, opts.fromVersion ?? 1, opts.toVersion ?? 2_147_483_647],
    );
    const events = rows.map((r) => this.toStored(r));
    return opts.types ? narrowEvents(events, opts.types) : events;
  }

  /** Events after `afterPosition` in global order, optionally of some types only. */
  async readAll(opts: { afterPosition?: number; limit?: number; types?: readonly string[]; manager?: EntityManager } = {}): Promise<StoredEvent[]> {
    const rows = await sql<EventRow>(
      this.dataSource,
      opts.manager,
      `SELECT ${EVENT_COLUMNS} FROM es_events
       WHERE global_position > $1 AND ($3::text[] IS NULL OR type = ANY($3))
       ORDER BY global_position LIMIT $2`,
      [opts.afterPosition ?? 0, opts.limit ?? 1000, opts.types ?? null],
    );
    return rows.map((r) => this.toStored(r));
  }

  /**
   * Rebuilds an inline projection from every event it handles, in one transaction that blocks
   * appends meanwhile (SHARE lock on es_streams), so readers see the old rows or the new ones.
   */
  async rebuildProjection(name: string, pageSize = 1000): Promise<{ events: number }> {
    const p = this.projections.find((x) => x.name === name);
    if (!p) throw new Error(`no inline projection named ${name}`);
    return this.dataSource.transaction(async (tx) => {
      await sql(this.dataSource, tx, `LOCK TABLE es_streams IN SHARE MODE`);
      await p.reset(tx);
      let after = 0;
      let total = 0;
      for (;;) {
        const page = await this.readAll({ afterPosition: after, limit: pageSize, types: p.handles, manager: tx });
        if (page.length === 0) break;
        await p.apply(page, tx);
        total += page.length;
        after = page[page.length - 1].globalPosition;
      }
      return { events: total };
    });
  }

  /** The JSON written for an event; refuses one larger than the bus carries. */
  private encode(e: EventToAppend): { data: string; metadata: string } {
    const data = JSON.stringify(e.data);
    // An event whose producer set a trace context (delivery's outcome, continuing its message's
    // trace) keeps it; any other is stamped with the active span's.
    const traced = e.metadata.traceparent === undefined ? activeTraceContext() : undefined;
    const metadata = JSON.stringify(traced ? { ...e.metadata, ...traced } : e.metadata);
    const bytes = Buffer.byteLength(data) + Buffer.byteLength(metadata);
    if (bytes > this.maxEventBytes) throw new EventTooLargeError(e.type, bytes, this.maxEventBytes);
    return { data, metadata };
  }

  private toStored(r: EventRow): StoredEvent {
    const { version, data } = this.upcasting.upcast(r.type, r.schema_version, r.data);
    return {
      globalPosition: Number(r.global_position),
      streamId: r.stream_id,
      streamVersion: r.stream_version,
      id: r.event_id,
      type: r.type,
      schemaVersion: version,
      data,
      metadata: r.metadata,
      createdAt: r.created_at,
      transactionId: r.transaction_id,
    };
  }
}
