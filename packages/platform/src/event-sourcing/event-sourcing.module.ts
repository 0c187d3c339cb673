import { type BeforeApplicationShutdown, type DynamicModule, Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { jetstreamManager } from '@nats-io/jetstream';
import { BusNamespace, Streams, type StreamKey } from '@stagehook/contracts';
import { EventStore, type EventStoreOptions, OutboxRelay } from '@stagehook/event-store';
import { DocumentStore, ensureStreams, handledIdsRetention, RetentionJob, type EnsureStreamsOptions } from '@stagehook/messaging';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { BaseConfig } from '../config/base-config.js';
import { LOGGER } from '../logging/logger.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { NATS_CONNECTION, type NatsConnection } from '../nats/nats.provider.js';

export interface EventSourcingModuleOptions extends Pick<EventStoreOptions, 'projections' | 'schemas' | 'maxEventBytes' | 'stateCacheSize'> {
  /** The JetStream stream this service owns and publishes its events to. */
  stream: StreamKey;
  /** Limits of the owned stream when this service creates or updates it. */
  streamLimits?: EnsureStreamsOptions;
  /**
   * Other streams this service owns without relaying to them (the registry owns PUBLISHED, which
   * internal services publish to): provisioned at boot with the configured replicas too.
   */
  alsoOwns?: StreamKey[];
  relay?: { batchSize?: number; pollMs?: number; idlePollMs?: number; lockRetryMs?: number };
}

const OPTIONS = Symbol('EVENT_SOURCING_OPTIONS');

/**
 * Runs the service's outbox relay for the lifetime of the app: the owned stream is provisioned,
 * then the relay publishes committed events in commit order. Every replica runs one; an advisory
 * lock keeps exactly one of them publishing. The relay stops after HTTP has drained and before
 * NATS and the database close, so the last batch is checkpointed.
 */
@Injectable()
export class RelayHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly relay: OutboxRelay;
  private readonly replicas: number;
  private readonly maxBytes: number;

  constructor(
    @Inject(OPTIONS) private readonly opts: EventSourcingModuleOptions,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    @Inject(LOGGER) logger: Logger,
    config: BaseConfig,
    private readonly namespace: BusNamespace,
    store: EventStore,
    dataSource: DataSource,
    metrics: MetricsService,
  ) {
    this.replicas = config.STREAM_REPLICAS;
    this.maxBytes = config.STREAM_MAX_BYTES;
    this.relay = new OutboxRelay({
      dataSource,
      nats,
      store,
      namespace,
      // WIRE NAME: the checkpoint row and the advisory lock key; one per service.
      name: config.SERVICE_NAME,
      logger: logger.child({ component: 'relay' }),
      ...opts.relay,
    });
    const lag = () => this.relay.lag();
    metrics.asyncGauge({
      name: 'stagehook_relay_pending_events',
      help: 'Committed events the outbox relay has not yet published',
      collect: async () => (await lag()).pending,
    });
    metrics.asyncGauge({
      name: 'stagehook_relay_oldest_pending_seconds',
      help: 'Age of the oldest committed event not yet published',
      collect: async () => (await lag()).oldestAgeMs / 1000,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    const jsm = await jetstreamManager(this.nats);
    const replicas = this.opts.streamLimits?.replicas ?? this.replicas;
    const maxBytes = this.opts.streamLimits?.maxBytes ?? this.maxBytes;
    await ensureStreams(jsm, this.namespace, [this.opts.stream], { ...this.opts.streamLimits, replicas, maxBytes });
    // DEADLETTER has no owner: consumers create it when missing (with the configured replicas and
    // size); every service brings it to them, with its own limits, so dead letters survive a node too.
    await ensureStreams(jsm, this.namespace, ['DEADLETTER', ...(this.opts.alsoOwns ?? [])], { replicas, maxBytes: this.maxBytes });
    this.relay.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}

/**
 * The service's retention job: removes consumers' handled ids (msg_handled) older than
 * HANDLED_RETENTION_MS, plus whatever tasks the service adds with `job.add(…)` before bootstrap
 * (delivery adds its messages and attempts), every RETENTION_INTERVAL_MS in batches of
 * RETENTION_BATCH rows. Rows removed: `stagehook_retention_deleted_rows_total{table}`.
 */
@Injectable()
export class RetentionHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly job: RetentionJob;

  constructor(@Inject(LOGGER) logger: Logger, config: BaseConfig, dataSource: DataSource, metrics: MetricsService) {
    this.job = new RetentionJob({
      tasks: [handledIdsRetention(dataSource, config.HANDLED_RETENTION_MS)],
      intervalMs: config.RETENTION_INTERVAL_MS,
      batchSize: config.RETENTION_BATCH,
      logger: logger.child({ component: 'retention' }),
      metrics: metrics.registry,
    });
  }

  onApplicationBootstrap(): void {
    this.job.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.job.stop();
  }
}

/**
 * The event store and its relay for a Nest service. Import once in the AppModule after
 * TypeOrmModule (whose migrations must include `eventStoreMigrations`); inject `EventStore`,
 * `BusNamespace` and the bus's `DocumentStore` anywhere.
 */
@Module({})
export class EventSourcingModule {
  static forRoot(opts: EventSourcingModuleOptions): DynamicModule {
    if (!(opts.stream in Streams)) throw new Error(`unknown stream ${String(opts.stream)}`);
    return {
      module: EventSourcingModule,
      global: true,
      providers: [
        { provide: OPTIONS, useValue: opts },
        { provide: BusNamespace, inject: [BaseConfig], useFactory: (config: BaseConfig) => new BusNamespace(config.BUS_NAMESPACE) },
        {
          provide: EventStore,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) =>
            new EventStore(dataSource, { projections: opts.projections, schemas: opts.schemas, maxEventBytes: opts.maxEventBytes, stateCacheSize: opts.stateCacheSize }),
        },
        {
          // One for the service: whichever service writes first makes the bucket, with the same bounds.
          provide: DocumentStore,
          inject: [NATS_CONNECTION, BusNamespace, BaseConfig],
          useFactory: (nats: NatsConnection, namespace: BusNamespace, config: BaseConfig) =>
            new DocumentStore(nats, namespace, { maxBytes: config.DOCUMENT_STORE_MAX_BYTES, replicas: config.STREAM_REPLICAS }),
        },
        RelayHost,
        RetentionHost,
      ],
      exports: [EventStore, BusNamespace, DocumentStore, RelayHost, RetentionHost],
    };
  }
}
