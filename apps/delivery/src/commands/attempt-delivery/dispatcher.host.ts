import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DocumentStore } from '@stagehook/messaging';
import { EventStore } from '@stagehook/event-store';
import { LOGGER, MetricsService, SecretBox, SsrfAllowList, addressRefusal, openEndpointSecret, safeLookup } from '@stagehook/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { DeliveryConfig } from '../../config.js';
import { decideCircuit } from '../../domain/delivery-lifecycle.js';
import { DeliveryQueue } from '../../persistence/delivery-queue.repository.js';
import { DeliveryReadRepository } from '../../persistence/delivery-read.repository.js';
import type { SecretOpener } from '../../adapters/request-headers.js';
import { EndpointReadRepository } from '../../persistence/endpoint-read.repository.js';
import { EndpointRepository } from '../../persistence/endpoint.repository.js';
import { Breakers, type BreakerState } from '../../adapters/breakers.js';
import { HttpSender, type SendResult } from '../../adapters/http-sender.js';
import { Dispatcher } from './dispatcher.js';

/**
 * Owns the process's sender, breakers and dispatcher, and publishes breaker changes as events.
 * The dispatcher starts after bootstrap (consumers are running) and stops before NATS and the
 * database close.
 */
@Injectable()
export class DispatcherHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly node = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  readonly sender: HttpSender;
  readonly breakers: Breakers<SendResult>;
  readonly dispatcher: Dispatcher;
  readonly box: SecretBox;
  /** Opens an endpoint's secret for that endpoint and field only (values are bound to both). */
  readonly openSecret: SecretOpener = (sealed, endpointId, field) => openEndpointSecret(this.box, sealed, endpointId, field);
  private readonly projectOf = new Map<string, string>();

  constructor(
    config: DeliveryConfig,
    dataSource: DataSource,
    private readonly store: EventStore,
    queue: DeliveryQueue,
    deliveries: DeliveryReadRepository,
    endpointWrites: EndpointRepository,
    readonly endpoints: EndpointReadRepository,
    metrics: MetricsService,
    @Inject(LOGGER) private readonly logger: Logger,
    // Write-back responses go to the bus's document store (items reads them from there).
    documents: DocumentStore,
  ) {
    this.box = SecretBox.fromConfig(config.SECRET_KEYS.join(','));
    const allow = new SsrfAllowList(config.SSRF_ALLOW_LIST);
    this.sender = new HttpSender({ lookup: safeLookup(allow), refuseAddress: (a) => addressRefusal(a, allow) });
    this.breakers = new Breakers<SendResult>(
      {
        volumeThreshold: config.BREAKER_VOLUME_THRESHOLD,
        errorThresholdPercentage: config.BREAKER_ERROR_PERCENT,
        rollingCountTimeout: config.BREAKER_WINDOW_MS,
        resetTimeout: config.BREAKER_RESET_MS,
        maxBreakers: config.BREAKER_MAX,
      },
      (endpointId, state, from) => this.circuitChanged(endpointId, state, from),
    );
    const outcomes = metrics.counter({ name: 'stagehook_delivery_attempts_total', help: 'Delivery attempts by what followed them', labelNames: ['outcome'] });
    const latency = metrics.histogram({
      name: 'stagehook_delivery_attempt_seconds',
      help: 'Duration of delivery attempts (HTTP request and response)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
    });
    const leasesLost = metrics.counter({
      name: 'stagehook_delivery_leases_lost_total',
      help: 'Claimed deliveries dropped unsent because their lease lapsed (paused or starved node)',
    });
    this.dispatcher = new Dispatcher(
      {
        dataSource,
        store,
        deliveries: queue,
        endpoints: endpointWrites,
        sender: this.sender,
        breakers: this.breakers,
        openSecret: this.openSecret,
        logger: logger.child({ component: 'dispatcher' }),
        serviceName: config.SERVICE_NAME,
        onAttempt: (outcome, ms) => {
          outcomes.inc({ outcome });
          latency.observe(ms / 1000);
        },
        onLeaseLost: () => leasesLost.inc(),
        putDocument: (name, data) => documents.put(name, data),
      },
      {
        node: this.node,
        concurrency: config.DISPATCH_CONCURRENCY,
        endpointConcurrency: config.ENDPOINT_CONCURRENCY,
        batch: config.DISPATCH_BATCH,
        pollMs: config.DISPATCH_POLL_MS,
        leaseMs: config.LEASE_MS,
        schedules: config.retryDefaults,
        retryAfterMaxMs: config.RETRY_AFTER_MAX_MS,
        disableAfterMs: config.DISABLE_AFTER_MS,
        breakerBackoffMs: Math.max(100, Math.floor(config.BREAKER_RESET_MS / 4)),
      },
    );
    const stats = () => deliveries.queueStats();
    metrics.asyncGauge({ name: 'stagehook_delivery_queue_depth', help: 'Deliveries waiting for an attempt', collect: async () => (await stats()).pending });
    // What KEDA scales delivery on besides consumer lag (deploy/k8s): due now and held by no process.
    metrics.asyncGauge({
      name: 'stagehook_delivery_due_deliveries',
      help: 'Pending deliveries whose attempt is due and that no delivery process has claimed',
      collect: async () => (await stats()).due,
    });
    metrics.asyncGauge({
      name: 'stagehook_delivery_oldest_pending_seconds',
      help: 'Age of the oldest delivery not yet ended',
      collect: async () => (await stats()).oldestAgeMs / 1000,
    });
    // Rises when delivery disables an endpoint (410 Gone, days without success): deploy/prometheus alerts on it.
    metrics.asyncGauge({
      name: 'stagehook_delivery_endpoints_disabled',
      help: 'Endpoints the delivery service disabled itself and that are not re-enabled or deleted',
      collect: () => endpoints.countDisabled(),
    });
    for (const state of ['closed', 'open', 'half_open'] as const) {
      metrics.asyncGauge({
        name: `stagehook_delivery_breakers_${state}`,
        help: `Endpoint circuit breakers in this process that are ${state}`,
        collect: async () => this.breakers.counts()[state],
      });
    }
  }

  onApplicationBootstrap(): void {
    this.dispatcher.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.dispatcher.stop();
    this.breakers.shutdown();
    await this.sender.close();
  }

  private circuitChanged(endpointId: string, state: BreakerState, from: BreakerState): void {
    this.logger.info({ endpointId, state }, 'endpoint circuit changed');
    // Half-open is not published: no projectId to look up.
    if (state === 'half_open') return;
    void (async () => {
      let projectId = this.projectOf.get(endpointId);
      if (!projectId) {
        projectId = (await this.endpoints.get(endpointId))?.projectId;
        if (!projectId) return;
        this.projectOf.set(endpointId, projectId);
      }
      // WIRE: circuit events have always named their source `delivery`, whatever SERVICE_NAME says.
      const { events } = decideCircuit(from, state, { ref: { endpointId, projectId }, source: 'delivery', now: new Date() });
      await this.store.append(`circuit-${endpointId}`, 'any', events, { streamType: 'circuit' });
    })().catch((err: unknown) => this.logger.warn({ err, endpointId }, 'circuit event not recorded'));
  }
}
