import { describe, expect, it } from '@jest/globals';
import { SUBSCRIBABLE_EVENT_TYPES } from '@stagehook/contracts';
import { assertSubscribable } from '../src/domain/endpoint-rules.js';

const catalogue = { known: [...SUBSCRIBABLE_EVENT_TYPES, 'model.eval.finished'], deprecated: ['model.training.completed'] };

describe('subscribable event types', () => {
  it('accepts built-in types, open custom types and wildcards over them', () => {
    expect(() => assertSubscribable(['item.*', 'model.eval.finished', 'model.*', '*'], catalogue)).not.toThrow();
  });

  it('refuses a deprecated type named anew, and an unknown one', () => {
    expect(() => assertSubscribable(['model.training.completed'], catalogue)).toThrow(/deprecated/);
    expect(() => assertSubscribable(['model.nothing'], catalogue)).toThrow(/unknown event types model.nothing/);
  });

  it('keeps what the endpoint already subscribes to, deprecated types and wildcards over them included', () => {
    const onlyDeprecated = { known: [...SUBSCRIBABLE_EVENT_TYPES], deprecated: ['model.training.completed'] };
    expect(() => assertSubscribable(['model.training.completed', 'model.*'], onlyDeprecated, ['model.training.completed', 'model.*'])).not.toThrow();
    expect(() => assertSubscribable(['model.*'], onlyDeprecated)).toThrow(/unknown event types model\.\*/);
  });
});
