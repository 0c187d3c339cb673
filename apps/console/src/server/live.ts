import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { BusNamespace, Streams } from '@stagehook/contracts';
import { LOGGER, type Logger } from '@stagehook/platform';
import { ConsoleConfig } from './config.js';

export const CONSOLE_NATS = 'CONSOLE_NATS';

/** What the feed uses of its NATS connection (a NatsConnection is one): core subscriptions it ends. */
export interface LiveBus {
  subscribe(subject: string, opts: { callback: (err: Error | null, msg: { data: Uint8Array }) => void }): { unsubscribe(): void };
}

/** What a browser receives per event: the CloudEvents attributes it needs and the data. */
export interface LiveEvent {
  id: string;
  type: string;
  time: string;
  source: string;
  data: unknown;
}

export type LiveListener = (event: LiveEvent) => void;

/** The publishing services' subject prefixes: everything but dead letters and inboxes. */
const FEEDS = [Streams.WORKFLOW, Streams.ITEMS, Streams.WEBHOOKS, Streams.DELIVERY].flatMap((s) => s.subjects);

/**
 * One core-NATS subscription per service prefix for the whole process, fanned out to browsers
 * by project. Core subscriptions see what the relays publish to JetStream without creating
 * consumers, so a browser tab costs the bus nothing; a tab that is closed or slow misses events
 * (the views reload from the APIs), which is the right trade for a live view.
 */
@Injectable()
export class LiveFeed implements OnModuleInit, OnModuleDestroy {
  private readonly listeners = new Map<string, Set<LiveListener>>();
  private readonly subs: { unsubscribe(): void }[] = [];
  private readonly ns: BusNamespace;

  constructor(
    @Inject(CONSOLE_NATS) private readonly nc: LiveBus,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(ConsoleConfig) config: ConsoleConfig,
  ) {
    this.ns = new BusNamespace(config.BUS_NAMESPACE);
  }

  onModuleInit(): void {
    for (const subject of FEEDS) {
      this.subs.push(
        this.nc.subscribe(this.ns.subject(subject), {
          callback: (err, msg) => {
            if (err) {
              this.logger.warn({ err, subject }, 'live feed subscription error');
              return;
            }
            this.dispatch(msg.data);
          },
        }),
      );
    }
  }

  onModuleDestroy(): void {
    for (const s of this.subs.splice(0)) s.unsubscribe();
  }

  /** Listens to one project's events; returns the unsubscribe. */
  subscribe(projectId: string, listener: LiveListener): () => void {
    const set = this.listeners.get(projectId) ?? new Set<LiveListener>();
    set.add(listener);
    this.listeners.set(projectId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(projectId);
    };
  }

  get listenerCount(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }

  /** Public for tests: one raw message off the bus. Anything that is not an envelope is dropped. */
  dispatch(raw: Uint8Array): void {
    if (this.listeners.size === 0) return;
    let env: unknown;
    try {
      env = JSON.parse(new TextDecoder().decode(raw));
    } catch {
      return;
    }
    if (typeof env !== 'object' || env === null) return;
    const e = env as Record<string, unknown>;
    // The project filter is the whole security of the feed: only an exact string match passes.
    if (typeof e.projectid !== 'string' || typeof e.type !== 'string' || typeof e.id !== 'string') return;
    const set = this.listeners.get(e.projectid);
    if (!set) return;
    const event: LiveEvent = {
      id: e.id,
      type: e.type,
      time: typeof e.time === 'string' ? e.time : new Date().toISOString(),
      source: typeof e.source === 'string' ? e.source : '',
      data: e.data,
    };
    for (const listener of set) listener(event);
  }
}
