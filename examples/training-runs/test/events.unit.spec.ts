import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { generateEventTypes } from '@stagehook/publisher';
import { TRAINING_COMPLETED_TYPE } from '../src/catalogue.js';

describe('src/events.ts', () => {
  it('is what stagehook-event-types generates from the type this service registers', () => {
    const generated = generateEventTypes(
      [
        {
          name: TRAINING_COMPLETED_TYPE.name,
          builtIn: false,
          latestVersion: 1,
          deprecated: null,
          versions: [{ version: 1, schema: structuredClone(TRAINING_COMPLETED_TYPE.schema) }],
        },
      ],
      'demo',
    );
    expect(readFileSync(new URL('../src/events.ts', import.meta.url), 'utf8')).toBe(generated);
  });
});
