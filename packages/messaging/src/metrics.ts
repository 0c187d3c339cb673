import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What the lag gauges ask each running consumer. */
export interface LagSource {
  readonly consumer: string;
  lag(): Promise<{ pending: number; ackPending: number }>;
}

type ConsumerType = 'consumer' | 'type';

/**
 * The messaging metrics of one registry, shared by every runner that reports to it (prom-client
 * refuses to register a name twice).
 */
export class MessagingMetrics {
  static readonly #byRegistry = new WeakMap<Registry, MessagingMetrics>();

  static for(registry: Registry): MessagingMetrics {
    let m = MessagingMetrics.#byRegistry.get(registry);
    if (!m) {
      m = new MessagingMetrics(registry);
      MessagingMetrics.#byRegistry.set(registry, m);
    }
    return m;
  }

  readonly handled: Counter<ConsumerType>;
  readonly duplicates: Counter<ConsumerType>;
  readonly retried: Counter<ConsumerType>;
  readonly deadLettered: Counter<ConsumerType>;
  readonly skipped: Counter<ConsumerType>;
  readonly infraErrors: Counter<'consumer' | 'stage'>;
  readonly handlingSeconds: Histogram<ConsumerType>;
  /** Runners whose lag the gauges report; a runner adds itself on start and leaves on stop. */
  readonly lagSources = new Set<LagSource>();

  private constructor(registry: Registry) {
    const registers = [registry];
    const labelNames = ['consumer', 'type'] as const;
    this.handled = new Counter({ name: 'stagehook_messages_handled_total', help: 'Events handled and acked', labelNames, registers });
    this.duplicates = new Counter({
      name: 'stagehook_messages_duplicate_total',
      help: 'Deliveries of events this consumer had already handled (acked without running the handler)',
      labelNames,
      registers,
    });
    this.retried = new Counter({ name: 'stagehook_messages_retried_total', help: 'Deliveries naked for a later retry', labelNames, registers });
    this.deadLettered = new Counter({
      name: 'stagehook_messages_dead_lettered_total',
      help: 'Messages given up on and recorded as dead letters',
      labelNames,
      registers,
    });
    this.skipped = new Counter({
      name: 'stagehook_messages_skipped_total',
      help: 'Valid events of a type this consumer has no handler for (acked)',
      labelNames,
      registers,
    });
    this.infraErrors = new Counter({
      name: 'stagehook_messaging_infra_errors_total',
      help: 'Database or NATS errors the runner backed off from and retried',
      labelNames: ['consumer', 'stage'] as const,
      registers,
    });
    this.handlingSeconds = new Histogram({
      name: 'stagehook_message_handler_duration_seconds',
      help: 'Time to handle one event: idempotency claim, handler and commit',
      labelNames,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    const sources = this.lagSources;
    const collectLag = async (gauge: Gauge<'consumer'>, pick: (l: { pending: number; ackPending: number }) => number) => {
      gauge.reset();
      await Promise.all(
        [...sources].map(async (s) => {
          try {
            gauge.set({ consumer: s.consumer }, pick(await s.lag()));
          } catch {
            // NATS unreachable: leave the consumer out of this scrape rather than fail it
          }
        }),
      );
    };
    new Gauge({
      name: 'stagehook_consumer_pending_messages',
      help: 'Messages in the stream not yet delivered to the consumer',
      labelNames: ['consumer'] as const,
      registers,
      async collect() {
        await collectLag(this, (l) => l.pending);
      },
    });
    new Gauge({
      name: 'stagehook_consumer_ack_pending_messages',
      help: 'Messages delivered to the consumer and not yet acknowledged',
      labelNames: ['consumer'] as const,
      registers,
      async collect() {
        await collectLag(this, (l) => l.ackPending);
      },
    });
  }
}
