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
  /** Messages a consumer gave up on, with the reason in a header; subject `deadletter.<consumer>`. */
  DEADLETTER: { name: 'DEADLETTER', subjects: ['deadletter.>'], source: 'messaging' },
} as const;

export type StreamKey = keyof typeof Streams;
export type StreamName = (typeof Streams)[StreamKey]['name'];

export function deadLetterSubject(consumer: string): string {
  return `deadletter.${consumer}`;
}

/** The stream that holds a subject, by its first token. */
export function streamForSubject(subject: string): StreamName | undefined {
  const head = subject.split('.')[0];
  for (const s of Object.values(Streams)) {
    if (s.subjects.some((p) => p.split('.')[0] === head)) return s.name;
  }
  return undefined;
}
