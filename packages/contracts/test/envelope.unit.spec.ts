import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync } from 'class-validator';
import { CloudEventEnvelope, envelopeErrors, isWellFormedEnvelope } from '../src/index.js';

const valid: Record<string, unknown> = {
  specversion: '1.0',
  id: '0b7f3f0e-8f43-4c1f-9d8a-3f7c2a9e4b11',
  source: 'workflow',
  type: 'workflow.stage.entered',
  time: '2026-12-01T16:40:00.123Z',
  datacontenttype: 'application/json',
  dataschemaversion: 1,
  subject: 'wfitem-1',
  streamversion: 3,
  projectid: 'proj-1',
  correlationid: 'corr-1',
  causationid: 'cause-1',
  data: { itemId: 'item-1' },
};

const long = (n: number) => 'x'.repeat(n);
const notStrings = [undefined, null, 1, true, {}, [], ['a']];
/** Values each field is tried with: the class's edge cases, the right types wrong, and wrong types. */
const tries: Record<string, unknown[]> = {
  specversion: ['1.0', '1.1', '1', 1, ...notStrings],
  id: [valid.id, 'not-a-uuid', '0B7F3F0E-8F43-4C1F-9D8A-3F7C2A9E4B11', '0b7f3f0e8f434c1f9d8a3f7c2a9e4b11', '00000000-0000-0000-0000-000000000000', ...notStrings],
  source: ['', long(200), long(201), ...notStrings],
  type: ['a.b', 'workflow', 'Workflow.stage', 'a.b.', `a.${long(198)}`, `a.${long(199)}`, 'a b.c', ...notStrings],
  time: ['2026-12-01', '2026-12-01T16:40:00Z', '2026-02-30T00:00:00Z', '2026-12-01 16:40', 'yesterday', 1_700_000_000_000, ...notStrings],
  datacontenttype: ['application/json', 'text/plain', 'APPLICATION/JSON', ...notStrings],
  dataschemaversion: [1, 2, 0, -1, 1.5, '1', Number.MAX_SAFE_INTEGER, Number.NaN, ...notStrings],
  subject: ['', long(400), long(401), ...notStrings],
  streamversion: [1, 0, 2_147_483_647, 2_147_483_648, 1.5, '3', ...notStrings],
  projectid: ['', long(200), long(201), ...notStrings],
  correlationid: ['', long(200), long(201), ...notStrings],
  causationid: ['', long(200), long(201), ...notStrings],
  data: [{}, { a: [1, { b: 2 }] }, [], 'data', 0, false, ...notStrings],
};

const classSays = (json: Record<string, unknown>) => validateSync(plainToInstance(CloudEventEnvelope, json), { forbidUnknownValues: true, whitelist: false }).length === 0;

describe('isWellFormedEnvelope', () => {
  const cases = Object.entries(tries).flatMap(([field, values]) =>
    values.map((value) => {
      const json = { ...valid };
      if (value === undefined) delete json[field];
      else json[field] = value;
      return [field, JSON.stringify(value) ?? 'absent', json] as const;
    }),
  );

  it.each(cases)('agrees with CloudEventEnvelope’s rules: %s = %s', (_field, _value, json) => {
    expect(isWellFormedEnvelope(json)).toBe(classSays(json));
  });

  it('tries every field CloudEventEnvelope has a rule for: a rule added to the class must be added here too', () => {
    const ruled = new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(CloudEventEnvelope, '', true, false)
        .map((m) => m.propertyName),
    );
    expect([...ruled].sort()).toEqual(Object.keys(tries).sort());
  });

  it('is tried on both answers: most broken envelopes are refused, and the edge values that are fine pass', () => {
    const verdicts = cases.map(([, , json]) => isWellFormedEnvelope(json));
    expect(verdicts.filter(Boolean).length).toBeGreaterThan(20);
    expect(verdicts.filter((v) => !v).length).toBeGreaterThan(60);
  });

  it('leaves the reasons to the class: a refused envelope is described field by field', () => {
    expect(envelopeErrors(valid)).toEqual([]);
    const reasons = envelopeErrors({ ...valid, id: 'nope', time: 5 });
    expect(reasons).toEqual([expect.stringMatching(/^id: /), expect.stringMatching(/^time: /)]);
  });
});
