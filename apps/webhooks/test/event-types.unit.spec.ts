import 'reflect-metadata';
import { Parser } from '@asyncapi/parser';
import { describe, expect, it } from '@jest/globals';
import { asyncApiDocument } from '../src/queries/query-event-types/asyncapi.js';
import { builtinEventTypes } from '../src/domain/builtin-schemas.js';
import { eventTypeDecider } from '../src/domain/event-type.decider.js';
import { builtinView, customView } from '../src/queries/query-event-types/event-type.view.js';
import { payloadProblems, schemaProblems } from '../src/domain/json-schemas.js';

/** Severity 0 is an error in the parser's diagnostics (Spectral's DiagnosticSeverity.Error). */
const isError = (d: { severity: number }) => d.severity === 0;

const trainingV1 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['runId', 'metrics'],
  properties: {
    runId: { type: 'string', format: 'uuid' },
    metrics: { type: 'array', items: { type: 'object', required: ['loss'], properties: { loss: { type: 'number' } } } },
  },
  additionalProperties: false,
};

describe('JSON Schema 2020-12 checks', () => {
  it('names every failing path of a payload, in platform path syntax', () => {
    const problems = payloadProblems(trainingV1, { runId: 'nope', metrics: [{ loss: 1 }, {}], extra: true });
    expect(problems.map((p) => p.path).sort()).toEqual(['data.extra', 'data.metrics[1].loss', 'data.runId']);
    expect(payloadProblems(trainingV1, { runId: '0b9c3a4e-7d1f-4c59-9d0f-2f8e1c3b5a70', metrics: [] })).toEqual([]);
  });

  it('refuses a schema that is not 2020-12 or does not compile', () => {
    expect(schemaProblems({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' })[0].path).toBe('schema.$schema');
    expect(schemaProblems({ type: 'objekt' }).length).toBeGreaterThan(0);
    expect(schemaProblems({ type: 'object', properties: { a: { $ref: '#/$defs/missing' } } }).length).toBeGreaterThan(0);
    expect(schemaProblems(trainingV1)).toEqual([]);
  });
});

describe('built-in event types', () => {
  it('describes item.status.changed from its contract class: its statuses, its required fields, and a broken payload refused', () => {
    const t = builtinEventTypes().find((x) => x.name === 'item.status.changed')!;
    expect(t).toBeDefined();
    const props = t.schema.properties as Record<string, Record<string, unknown>>;
    expect(props.to.enum).toContain('done');
    expect(t.schema.required).toEqual(expect.arrayContaining(['itemId', 'projectId', 'to']));
    const sample = builtinEventTypes().map((x) => x.name);
    expect(sample).toContain('workflow.stage.entered');
    expect(sample.some((n) => n.startsWith('webhook.'))).toBe(false);
    expect(payloadProblems(t.schema, { itemId: 'i1' }).map((p) => p.path)).toEqual(expect.arrayContaining(['data.projectId', 'data.to']));
    for (const b of builtinEventTypes()) expect(schemaProblems(b.schema)).toEqual([]);
  });
});

describe('event type decider', () => {
  const now = new Date('2026-11-30T12:00:00Z');
  const register = {
    type: 'RegisterEventType' as const,
    projectId: 'p1',
    name: 'model.training.completed',
    description: 'd',
    schema: trainingV1,
    examples: [],
    by: 'user:u1',
    now,
  };

  it('registers version 1, then numbers added versions, and refuses a second registration', () => {
    const [registered] = eventTypeDecider.decide(register, eventTypeDecider.initialState());
    let state = eventTypeDecider.evolve(eventTypeDecider.initialState(), registered);
    expect(() => eventTypeDecider.decide(register, state)).toThrow(/already registered/);
    const [added] = eventTypeDecider.decide(
      { type: 'AddEventTypeVersion', projectId: 'p1', name: register.name, schema: { type: 'object' }, examples: [], by: 'user:u2', now },
      state,
    );
    state = eventTypeDecider.evolve(state, added);
    expect(state.status === 'live' && state.versions.map((v) => [v.version, v.by])).toEqual([
      [1, 'user:u1'],
      [2, 'user:u2'],
    ]);
  });

  it('deprecates once; deprecating again decides nothing', () => {
    const state = eventTypeDecider.evolve(eventTypeDecider.initialState(), eventTypeDecider.decide(register, eventTypeDecider.initialState())[0]);
    const dep = { type: 'DeprecateEventType' as const, projectId: 'p1', name: register.name, reason: 'old', by: 'user:u1', now };
    const after = eventTypeDecider.evolve(state, eventTypeDecider.decide(dep, state)[0]);
    expect(after.status === 'live' && after.deprecated?.reason).toBe('old');
    expect(eventTypeDecider.decide(dep, after)).toEqual([]);
  });

  it('refuses a version or deprecation of a type that is not registered', () => {
    expect(() => eventTypeDecider.decide({ type: 'DeprecateEventType', projectId: 'p1', name: 'a.b', reason: 'x', by: 'u', now }, eventTypeDecider.initialState())).toThrow(
      /not found/,
    );
  });
});

describe('AsyncAPI document', () => {
  it('is a valid AsyncAPI 3.0 document for built-in and custom types (checked by @asyncapi/parser)', async () => {
    const custom = customView({
      status: 'live',
      projectId: 'p1',
      name: 'model.training.completed',
      description: 'A training run finished',
      versions: [
        { version: 1, schema: trainingV1, examples: [{ runId: '0b9c3a4e-7d1f-4c59-9d0f-2f8e1c3b5a70', metrics: [] }], at: '2026-11-30T12:00:00.000Z', by: 'user:u1' },
        { version: 2, schema: { type: 'object', properties: { runId: { type: 'string' } } }, examples: [], at: '2026-11-30T12:01:00.000Z', by: 'user:u1' },
      ],
      deprecated: { reason: 'use model.training.finished', at: '2026-11-30T12:02:00.000Z', by: 'user:u1' },
      createdAt: '2026-11-30T12:00:00.000Z',
      updatedAt: '2026-11-30T12:02:00.000Z',
    });
    const doc = asyncApiDocument('p1', [...builtinEventTypes().map(builtinView), custom]);
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
    const errors = diagnostics.filter((d) => isError(d));
    expect(errors.map((d) => `${d.path.join('/')}: ${d.message}`)).toEqual([]);
    expect(document).toBeDefined();
    expect(
      document!
        .channels()
        .all()
        .map((c) => c.address()),
    ).toEqual(expect.arrayContaining(['model.training.completed', 'item.status.changed']));
    expect(document!.allMessages().length).toBeGreaterThan(builtinEventTypes().length);
  });

  it('is refused by the parser when broken (the check can fail)', async () => {
    const doc = asyncApiDocument('p1', []);
    const { diagnostics } = await new Parser().parse(JSON.stringify({ ...doc, asyncapi: '3.0.0', info: { title: 'x' } }));
    expect(diagnostics.some((d) => isError(d))).toBe(true);
  });
});
