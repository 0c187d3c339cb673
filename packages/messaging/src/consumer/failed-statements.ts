/** What `watchFailedStatements` learned about one transaction's connection. */
export interface FailedStatements {
  /**
   * A statement on the connection failed, is still running (a handler that did not await it), or
   * was sent in a way whose outcome is not followed here.
   */
  readonly any: boolean;
  /** Puts the connection's `query` back as it was. */
  stop(): void;
}

interface Queryable {
  query: (...args: unknown[]) => unknown;
}

/**
 * Watches every statement sent on a `pg` client while a consumer's transaction holds it, to learn
 * whether one failed: TypeORM's statements and the raw ones the event store sends straight through
 * `pg` (`sql.ts` there) both go through `client.query`. A transaction none of whose statements
 * failed cannot be aborted, so the probe before COMMIT (see `abortedTransaction`) is only needed
 * when this says so: one round trip less per consumed event or batch.
 *
 * A callback-style or submittable (cursor, stream) query counts as failed, as its outcome is not
 * followed here: the probe then decides, as it always did.
 */
export function watchFailedStatements(client: unknown): FailedStatements {
  const c = client as Queryable;
  if (typeof c?.query !== 'function') return { any: true, stop: () => undefined };
  const own = Object.getOwnPropertyDescriptor(c, 'query');
  const original = c.query;
  const state = { failed: false, running: 0 };
  c.query = (...args: unknown[]): unknown => {
    const result = original.apply(c, args);
    if (result instanceof Promise) {
      state.running++;
      // A branch of its own: the caller still gets (and must handle) the original rejection.
      result.then(
        () => state.running--,
        () => {
          state.running--;
          state.failed = true;
        },
      );
    } else {
      state.failed = true;
    }
    return result;
  };
  return {
    get any() {
      return state.failed || state.running > 0;
    },
    stop() {
      if (own) Object.defineProperty(c, 'query', own);
      else delete (c as Partial<Queryable>).query;
    },
  };
}
