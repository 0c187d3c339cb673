import { deepStrictEqual, fail } from 'node:assert/strict';
import { fold, type Decider, type DomainEvent } from './decider.js';

/**
 * Given / when / then for deciders, independent of the test runner:
 * `given(decider, [events]).when(command).then([events])` or `.thenThrows(ErrorClass)`.
 */
export function given<C, E extends DomainEvent, S>(decider: Decider<C, E, S>, history: E[] = []) {
  return {
    when(command: C) {
      const run = () => decider.decide(command, fold(decider, history));
      return {
        then(expected: E[]): void {
          deepStrictEqual(run(), expected);
        },
        thenThrows(errorType: abstract new (...args: never[]) => Error, message?: RegExp): void {
          let events: E[];
          try {
            events = run();
          } catch (err) {
            if (!(err instanceof errorType)) throw err;
            if (message && !message.test(err.message)) fail(`message '${err.message}' does not match ${String(message)}`);
            return;
          }
          fail(`expected ${errorType.name}, but decide returned ${JSON.stringify(events)}`);
        },
      };
    },
  };
}
