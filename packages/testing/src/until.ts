export interface UntilOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Said in the error when the condition never held. */
  message?: string;
}

/**
 * Polls `condition` until it returns a truthy value (returned) or the timeout passes (throws with
 * the last value or error seen). Tests wait for effects with this, never with a fixed sleep.
 */
export async function until<T>(condition: () => T | Promise<T>, opts: UntilOptions = {}): Promise<NonNullable<Awaited<T>>> {
  const { timeoutMs = 10_000, intervalMs = 25, message } = opts;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await condition();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`until: ${message ?? 'condition'} not met within ${timeoutMs} ms (last: ${seen})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
