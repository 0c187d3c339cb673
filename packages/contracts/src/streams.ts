/**
 * JetStream streams, one per publishing service, and the subjects each owns.
 * WIRE NAMES: stream names and subject prefixes are persisted in NATS and in consumers' filter
 * subjects; renaming one needs a migration (new stream, mirror, move consumers), never an edit.
 */
export const Streams = {
  WORKFLOW: { name: 'WORKFLOW', subjects: ['workflow.>'], source: 'workflow' },
  ITEMS: { name: 'ITEMS', subjects: ['item.>'], source: 'items' },
  WEBHOOKS: { name: 'WEBHOOKS', subjects: ['webhook.>'], source: 'webhooks' },
  DELIVERY: { name: 'DELIVERY', subjects: ['delivery.>'], source: 'delivery' },
  /**
   * Events internal services publish over the bus with @stagehook/publisher: subject
   * `published.<event type>`, CloudEvents `type` = the event type. The registry consumes it.
   */
  PUBLISHED: { name: 'PUBLISHED', subjects: ['published.>'], source: 'publisher' },
  /** Messages a consumer gave up on, with the reason in a header; subject `deadletter.<consumer>`. */
  DEADLETTER: { name: 'DEADLETTER', subjects: ['deadletter.>'], source: 'messaging' },
} as const;

export type StreamKey = keyof typeof Streams;
export type StreamName = (typeof Streams)[StreamKey]['name'];

/**
 * A bus namespace isolates one deployment (or one test run) from another on a shared NATS:
 * JetStream refuses two streams whose subjects overlap, so tests prefix every subject and stream.
 * Production uses the empty namespace: subjects are the event types themselves.
 */
export class BusNamespace {
  static readonly root = new BusNamespace('');

  constructor(readonly prefix: string) {
    if (prefix && !/^[A-Za-z0-9_-]+$/.test(prefix)) throw new Error(`invalid bus namespace '${prefix}'`);
  }

  /** The NATS subject an event type is published on. */
  subject(eventType: string): string {
    return this.prefix ? `${this.prefix}.${eventType}` : eventType;
  }

  /** The event type of a subject published in this namespace. */
  eventType(subject: string): string {
    return this.prefix && subject.startsWith(`${this.prefix}.`) ? subject.slice(this.prefix.length + 1) : subject;
  }

  streamName(key: StreamKey): string {
    const name = Streams[key].name;
    return this.prefix ? `${this.prefix}_${name}` : name;
  }

  streamSubjects(key: StreamKey): string[] {
    return Streams[key].subjects.map((s) => this.subject(s));
  }

  deadLetterSubject(consumer: string): string {
    return this.subject(`deadletter.${consumer}`);
  }

  /** A durable consumer name, unique per namespace. */
  durable(name: string): string {
    return this.prefix ? `${this.prefix}_${name}` : name;
  }
}

/** The stream key that holds an event type, by its first token. */
export function streamKeyForType(eventType: string): StreamKey | undefined {
  const head = eventType.split('.')[0];
  for (const [key, s] of Object.entries(Streams)) {
    if (s.subjects.some((p) => p.split('.')[0] === head)) return key as StreamKey;
  }
  return undefined;
}
