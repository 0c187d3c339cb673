/**
 * What this service registers in its project's catalogue (`POST /event-types`) before it
 * publishes; src/events.ts is generated from it.
 */
export const TRAINING_COMPLETED_TYPE = {
  name: 'model.training.completed',
  description: 'A model training run finished; carries its final accuracy',
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    required: ['runId', 'model', 'accuracy', 'epochs', 'completedAt'],
    additionalProperties: false,
    properties: {
      runId: { type: 'string', format: 'uuid' },
      model: { type: 'string', minLength: 1, maxLength: 200 },
      accuracy: { type: 'number', minimum: 0, maximum: 1 },
      epochs: { type: 'integer', minimum: 1 },
      completedAt: { type: 'string', format: 'date-time' },
    },
  },
  examples: [{ runId: '0b9c3a4e-7d1f-4c59-9d0f-2f8e1c3b5a70', model: 'screw-detector', accuracy: 0.94, epochs: 30, completedAt: '2026-11-30T12:00:00.000Z' }],
} as const;
