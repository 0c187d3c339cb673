import { describe, expect, it } from '@jest/globals';
import { generateEventTypes } from '../src/generate.js';

describe('event type generation from the catalogue', () => {
  it('types each custom type from its latest schema and skips built-in types', () => {
    const ts = generateEventTypes(
      [
        { name: 'item.status.changed', builtIn: true, latestVersion: 1, deprecated: null, versions: [{ version: 1, schema: { type: 'object' } }] },
        {
          name: 'model.training.completed',
          builtIn: false,
          latestVersion: 2,
          deprecated: { reason: 'use model.training.finished' },
          versions: [
            { version: 1, schema: { type: 'object', properties: { old: { type: 'string' } } } },
            {
              version: 2,
              schema: {
                type: 'object',
                required: ['runId', 'status'],
                additionalProperties: false,
                properties: {
                  runId: { type: 'string' },
                  status: { enum: ['ok', 'failed'] },
                  metrics: { type: 'array', items: { type: ['number', 'null'] } },
                  'odd-key': { const: 3 },
                },
              },
            },
          ],
        },
      ],
      'proj-a',
    );
    expect(ts).not.toContain('item.status.changed');
    expect(ts).not.toContain('old');
    expect(ts).toContain('/** @deprecated use model.training.finished */');
    expect(ts).toContain('export type ModelTrainingCompleted = {\n  runId: string;\n  status: "ok" | "failed";\n  metrics?: Array<number | null>;\n  "odd-key"?: 3;\n};');
    expect(ts).toContain("'model.training.completed': { version: 2; data: ModelTrainingCompleted };");
    expect(ts).toContain("'model.training.completed': 2,");
  });
});
