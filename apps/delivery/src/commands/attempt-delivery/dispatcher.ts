import type { ClaimedDelivery } from '../../persistence/delivery-queue.repository.js';
import type { DeliveryHandoff, HandoffCandidate } from '../shared/handoff.js';
import { AttemptRunner } from './attempt-runner.js';
import type { DispatcherDeps, DispatcherSettings } from './dispatch-deps.js';
import { OutcomeRecorder } from './outcome-recorder.js';

export type { DispatcherDeps, DispatcherSettings } from './dispatch-deps.js';

/**
 * Claims due deliveries from PostgreSQL and sends them. Per process: a global cap on attempts in
 * flight and a per-endpoint cap, so a hanging endpoint holds at most its own slots; endpoints at
 * their cap or with an open breaker are left out of the claim, so other endpoints' deliveries
 * keep flowing. This is the claim and lease loop; AttemptRunner makes each attempt and
 * OutcomeRecorder records it (with the delivery's new state and, when it ends, its outcome event).
 * Deliveries this process's intake creates come without a claim when there is room for them
 * (DeliveryHandoff): slots reserved before intake's statement count against the same caps.
 */
export class Dispatcher implements DeliveryHandoff {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly queued = new Map<string, ClaimedDelivery[]>();
  private readonly inFlight = new Map<string, number>();
  private readonly held = new Set<string>();
  /**
   * Until when this node may send each held delivery, by its own clock: set from the time the
   * claim (or renewal) was asked, so it errs early. A node paused past its lease (SIGSTOP, a long
   * GC, a starved CPU) finds its leases expired when it resumes and drops those deliveries
   * instead of sending what another node may have claimed and sent meanwhile.
   */
  private readonly leaseUntil = new Map<string, number>();
  /**
   * Slots intake reserved for deliveries it is writing leased to this node: the endpoint of each,
   * and this node's clock when it was reserved (before the statement that leases it, so a lease
   * counted from it ends no later than the database's). Counted in `total` and in each endpoint's load.
   */
  private readonly reserved = new Map<string, { endpointId: string; at: number }>();
  private readonly reservedPerEndpoint = new Map<string, number>();
  /** Deliveries held (queued or in flight) or reserved: what the global cap counts. */
  private total = 0;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  /**
   * Whether the last claim was held back by this node's caps (no free slot, or endpoints left out
   * at their cap): only then can a finished attempt let a claim take more. Otherwise the claim
   * took everything due, and what becomes due later comes with a wake (intake's commit) or the
   * poll; claiming again after every attempt was a wasted statement per delivery.
   */
  private heldBack = false;
  private renewTimer: NodeJS.Timeout | undefined;
  private readonly tasks = new Set<Promise<void>>();
  private readonly now: () => number;
  private readonly schedule: (fire: () => void, ms: number) => () => void;
  private readonly runner: AttemptRunner;

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly s: DispatcherSettings,
  ) {
    this.now = deps.now ?? Date.now;
    this.schedule =
      deps.schedule ??
      ((fire, ms) => {
        // Unref'd, as the lease renewal below: the loop's timers never keep a process alive on
        // their own (a node nobody stopped would hang its process's exit).
        const t = setTimeout(fire, ms).unref();
        return () => clearTimeout(t);
      });
    this.runner = new AttemptRunner(deps, s, new OutcomeRecorder(deps, s, this.now), this.now, deps.random ?? Math.random);
  }

  get leaseMs(): number {
    return this.s.leaseMs;
  }

  get node(): string {
    return this.s.node;
  }

  /**
   * Slots for intake's new deliveries, under the caps a claim obeys: the global cap, each
   * endpoint's cap, and no standard delivery to an endpoint whose breaker is open. None once stopping.
   */
  reserve(candidates: HandoffCandidate[]): Set<string> {
    const taken = new Set<string>();
    if (!this.running) return taken;
    const open = new Set(this.deps.breakers.openEndpoints());
    const at = this.now();
    for (const c of candidates) {
      if (this.total >= this.s.concurrency) break;
      if (this.reserved.has(c.id) || (c.schedule !== 'stage' && open.has(c.endpointId))) continue;
      if (this.load(c.endpointId) >= this.s.endpointConcurrency) continue;
      this.reserved.set(c.id, { endpointId: c.endpointId, at });
      this.reservedPerEndpoint.set(c.endpointId, (this.reservedPerEndpoint.get(c.endpointId) ?? 0) + 1);
      this.total++;
      taken.add(c.id);
    }
    return taken;
  }

  /**
   * Takes over deliveries intake committed leased to this node, as if claimed when they were
   * reserved. One that arrives once this node is stopping is handed back to the queue.
   */
  adopt(deliveries: ClaimedDelivery[]): void {
    const endpoints = new Set<string>();
    const refused: string[] = [];
    for (const c of deliveries) {
      const r = this.dropReservation(c.id);
      if (!r || !this.running) {
        if (r) this.total--;
        refused.push(c.id);
        continue;
      }
      this.held.add(c.id);
      this.leaseUntil.set(c.id, r.at + this.leaseMs);
      const q = this.queued.get(c.endpointId) ?? [];
      q.push(c);
      this.queued.set(c.endpointId, q);
      endpoints.add(c.endpointId);
    }
    this.handBack(refused);
    for (const ep of endpoints) this.pump(ep);
  }

  abandon(ids: Iterable<string>): void {
    const list = [...ids];
    this.unreserve(list);
    this.handBack(list);
  }

  unreserve(ids: Iterable<string>): void {
    let freed = false;
    for (const id of ids) {
      if (!this.dropReservation(id)) continue;
      this.total--;
      freed = true;
    }
    if (freed && this.heldBack) this.wake();
  }

  private dropReservation(id: string): { endpointId: string; at: number } | undefined {
    const r = this.reserved.get(id);
    if (!r) return undefined;
    this.reserved.delete(id);
    const n = (this.reservedPerEndpoint.get(r.endpointId) ?? 1) - 1;
    if (n === 0) this.reservedPerEndpoint.delete(r.endpointId);
    else this.reservedPerEndpoint.set(r.endpointId, n);
    return r;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.renewTimer = setInterval(() => void this.renewLeases(), this.leaseMs / 3).unref();
    this.loop = this.run();
  }

  /**
   * Extends the leases of what this node holds. The repository answers which it still holds; a
   * lease lost (it lapsed and another node claimed the delivery) drops the delivery if it has not
   * started, and its attempt, if running, is not recorded (the record checks the lease too).
   */
  private async renewLeases(): Promise<void> {
    const ids = [...this.held];
    if (ids.length === 0) return;
    const asked = this.now();
    let kept: Set<string>;
    try {
      kept = await this.deps.deliveries.extendLeases(this.s.node, ids, this.leaseMs);
    } catch (err) {
      this.deps.logger.warn({ err }, 'lease renewal failed');
      return;
    }
    for (const id of ids) {
      if (!this.held.has(id)) continue;
      if (kept.has(id)) this.leaseUntil.set(id, asked + this.leaseMs);
      else this.leaseLost(id, 'renewal');
    }
  }

  private leaseValid(id: string): boolean {
    return (this.leaseUntil.get(id) ?? 0) > this.now();
  }

  /** Forgets a delivery whose lease this node no longer holds; a queued one is never sent. */
  private leaseLost(id: string, how: 'renewal' | 'expired'): void {
    this.leaseUntil.delete(id);
    for (const [endpointId, q] of this.queued) {
      const i = q.findIndex((c) => c.id === id);
      if (i < 0) continue;
      q.splice(i, 1);
      if (q.length === 0) this.queued.delete(endpointId);
      this.held.delete(id);
      this.total--;
      this.deps.logger.warn({ deliveryId: id, how }, 'lease lost before sending; the delivery is left to the node that holds it');
      // If no other node took it (a lapsed lease nobody claimed), it is claimable again at once
      // rather than when the database's lease runs out; a row another node holds is untouched.
      this.handBack([id]);
      this.deps.onLeaseLost?.();
      this.wake();
      return;
    }
  }

  /**
   * Stops claiming, hands back what has not started, waits for attempts in flight. Slots intake
   * reserved before the stop are waited for too (intake's batches finish while the consumers
   * stop): a delivery adopted once stopping is handed back before the database closes, rather
   * than left to its lease.
   */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    await this.loop;
    const deadline = this.now() + timeoutMs;
    while (this.reserved.size > 0 && this.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const waiting = [...this.queued.values()].flat().map((c) => c.id);
    this.queued.clear();
    await Promise.race([Promise.allSettled([...this.tasks]), new Promise((r) => setTimeout(r, Math.max(0, deadline - this.now())).unref())]);
    clearInterval(this.renewTimer);
    await this.deps.deliveries.release(this.s.node, waiting, 0).catch(() => undefined);
  }

  /**
   * Makes deliveries leased to this node that it will not send claimable again at once, by any
   * node; a row another node holds, or one never written, is untouched. Among the tasks `stop`
   * waits for, so it is done before the database closes.
   */
  private handBack(ids: string[]): void {
    if (ids.length === 0) return;
    const task = this.deps.deliveries
      .release(this.s.node, ids, 0)
      .catch((err: unknown) => this.deps.logger.warn({ err, deliveries: ids.length }, 'handing back deliveries failed; their leases will lapse'));
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
  }

  /**
   * Nudges the loop (a consumer created deliveries, an attempt freed a slot). A nudge that comes
   * while the loop is claiming is kept for its next sleep, which then returns at once: otherwise
   * deliveries committed during a claim would wait a whole poll interval.
   */
  wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    if (w) w();
    else this.woken = true;
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const cancel = this.schedule(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      this.wakeUp = () => {
        cancel();
        resolve();
      };
    });
  }

  private load(endpointId: string): number {
    return (this.inFlight.get(endpointId) ?? 0) + (this.queued.get(endpointId)?.length ?? 0) + (this.reservedPerEndpoint.get(endpointId) ?? 0);
  }

  private async run(): Promise<void> {
    while (this.running) {
      const free = this.s.concurrency - this.total;
      if (free <= 0) {
        this.heldBack = true;
        await this.sleep(this.s.pollMs);
        continue;
      }
      // Open breakers hold back standard deliveries only; stage deliveries run their schedule.
      const open = this.deps.breakers.openEndpoints();
      const exclude = new Set<string>();
      for (const [ep] of this.inFlight) if (this.load(ep) >= this.s.endpointConcurrency) exclude.add(ep);
      for (const [ep] of this.queued) if (this.load(ep) >= this.s.endpointConcurrency) exclude.add(ep);
      for (const [ep] of this.reservedPerEndpoint) if (this.load(ep) >= this.s.endpointConcurrency) exclude.add(ep);
      const limit = Math.min(this.s.batch, free);
      this.heldBack = exclude.size > 0;
      let claimed: ClaimedDelivery[];
      const claimAsked = this.now();
      try {
        claimed = await this.deps.deliveries.claimDue(this.s.node, limit, { atCapacity: [...exclude], breakerOpen: open, perEndpoint: this.s.endpointConcurrency }, this.leaseMs);
      } catch (err) {
        this.deps.logger.error({ err }, 'claiming deliveries failed');
        await this.sleep(1_000);
        continue;
      }
      // Intake may have reserved slots while the claim ran: keep what fits the global cap (the
      // oldest due come first) and hand the rest back at once, claimable again by any node.
      const surplus = claimed.splice(Math.max(0, this.s.concurrency - this.total));
      if (surplus.length > 0) {
        this.heldBack = true;
        this.handBack(surplus.map((c) => c.id));
      }
      for (const c of claimed) {
        this.held.add(c.id);
        this.leaseUntil.set(c.id, claimAsked + this.leaseMs);
        this.total++;
        const q = this.queued.get(c.endpointId) ?? [];
        q.push(c);
        this.queued.set(c.endpointId, q);
      }
      const claimedFrom = new Set(claimed.map((c) => c.endpointId));
      // The claim takes at most a cap's worth per endpoint: one that reached it may have more due.
      for (const ep of claimedFrom) if (this.load(ep) >= this.s.endpointConcurrency) this.heldBack = true;
      for (const ep of claimedFrom) this.pump(ep);
      if (claimed.length + surplus.length < limit) await this.sleep(this.s.pollMs);
    }
  }

  private pump(endpointId: string): void {
    const q = this.queued.get(endpointId);
    while (q && q.length > 0 && (this.inFlight.get(endpointId) ?? 0) < this.s.endpointConcurrency) {
      const c = q[0];
      if (!this.leaseValid(c.id)) {
        this.leaseLost(c.id, 'expired');
        continue;
      }
      q.shift();
      this.inFlight.set(endpointId, (this.inFlight.get(endpointId) ?? 0) + 1);
      const task = this.runner
        .attempt(c, () => this.leaseValid(c.id))
        .catch((err: unknown) => this.deps.logger.error({ err, deliveryId: c.id }, 'delivery attempt failed to record; the lease will expire and it is retried'))
        .finally(() => {
          this.tasks.delete(task);
          this.held.delete(c.id);
          this.leaseUntil.delete(c.id);
          this.total--;
          const n = (this.inFlight.get(endpointId) ?? 1) - 1;
          if (n === 0) this.inFlight.delete(endpointId);
          else this.inFlight.set(endpointId, n);
          this.pump(endpointId);
          if (this.heldBack) this.wake();
        });
      this.tasks.add(task);
    }
    if (q && q.length === 0) this.queued.delete(endpointId);
  }
}
