import CircuitBreaker from 'opossum';

export interface BreakerSettings {
  volumeThreshold: number;
  errorThresholdPercentage: number;
  rollingCountTimeout: number;
  resetTimeout: number;
  maxBreakers: number;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

/** Thrown inside the breaker so opossum counts a failed attempt; carries the attempt's result. */
export class FailedAttempt<T> extends Error {
  constructor(readonly result: T) {
    super('attempt failed');
  }
}

export type Guarded<T> = { kind: 'ran'; result: T } | { kind: 'rejected' };

type Action<T> = (run: () => Promise<T>, ok: (r: T) => boolean) => Promise<T>;

/**
 * One opossum breaker per endpoint, bounded in number: the least recently used breaker that is
 * closed is evicted (an open one is kept, or an endpoint would escape its breaker by being
 * idle). Percentiles are off: opossum computes them on every call, ~1 ms per call in a failure
 * storm (research: performance-reliability-anchors.md).
 */
export class Breakers<T> {
  private readonly map = new Map<string, CircuitBreaker<Parameters<Action<T>>, T>>();

  constructor(
    private readonly settings: BreakerSettings,
    /** Each move of an endpoint's breaker, with the state it left. */
    private readonly onChange: (endpointId: string, state: BreakerState, from: BreakerState) => void,
  ) {}

  private get(endpointId: string): CircuitBreaker<Parameters<Action<T>>, T> {
    let b = this.map.get(endpointId);
    if (b) {
      this.map.delete(endpointId);
      this.map.set(endpointId, b);
      return b;
    }
    const action: Action<T> = async (run, ok) => {
      const r = await run();
      if (!ok(r)) throw new FailedAttempt(r);
      return r;
    };
    b = new CircuitBreaker(action, {
      timeout: false,
      volumeThreshold: this.settings.volumeThreshold,
      errorThresholdPercentage: this.settings.errorThresholdPercentage,
      rollingCountTimeout: this.settings.rollingCountTimeout,
      rollingCountBuckets: 10,
      resetTimeout: this.settings.resetTimeout,
      rollingPercentilesEnabled: false,
    });
    // opossum emits only on a change of state; a new breaker starts closed.
    let state: BreakerState = 'closed';
    const moved = (to: BreakerState) => {
      const from = state;
      state = to;
      this.onChange(endpointId, to, from);
    };
    b.on('open', () => moved('open'));
    b.on('halfOpen', () => moved('half_open'));
    b.on('close', () => moved('closed'));
    this.map.set(endpointId, b);
    this.evict();
    return b;
  }

  private evict(): void {
    if (this.map.size <= this.settings.maxBreakers) return;
    for (const [id, b] of this.map) {
      if (this.map.size <= this.settings.maxBreakers) break;
      if (b.closed) {
        b.shutdown();
        this.map.delete(id);
      }
    }
  }

  /** Runs `run` through the endpoint's breaker; `rejected` when the breaker did not let it run. */
  async fire(endpointId: string, run: () => Promise<T>, ok: (r: T) => boolean): Promise<Guarded<T>> {
    const b = this.get(endpointId);
    try {
      return { kind: 'ran', result: await b.fire(run, ok) };
    } catch (err) {
      if (err instanceof FailedAttempt) return { kind: 'ran', result: err.result as T };
      if ((err as { code?: string }).code === 'EOPENBREAKER') return { kind: 'rejected' };
      throw err;
    }
  }

  /** Endpoints whose breaker would refuse a call now (open, not yet half-open). */
  openEndpoints(): string[] {
    const out: string[] = [];
    for (const [id, b] of this.map) if (b.opened) out.push(id);
    return out;
  }

  state(endpointId: string): BreakerState {
    const b = this.map.get(endpointId);
    if (!b) return 'closed';
    return b.opened ? 'open' : b.halfOpen ? 'half_open' : 'closed';
  }

  counts(): Record<BreakerState, number> {
    const c: Record<BreakerState, number> = { closed: 0, open: 0, half_open: 0 };
    for (const id of this.map.keys()) c[this.state(id)]++;
    return c;
  }

  shutdown(): void {
    for (const b of this.map.values()) b.shutdown();
    this.map.clear();
  }
}
