import type { ClaimedDelivery, ScheduleKind } from '../../persistence/delivery-queue.repository.js';

/** A delivery intake is about to create, as the dispatcher weighs whether to take it. */
export interface HandoffCandidate {
  id: string;
  endpointId: string;
  schedule: ScheduleKind;
}

/**
 * How intake hands the deliveries it creates to this process's dispatcher (the Dispatcher
 * implements it). Intake asks for slots before its statement, writes the deliveries it got slots
 * for already leased to this node, and after its commit hands them over: no claim statement, and
 * no wait for a wake and a claim between intake's commit and the first request. What it got no
 * slot for (caps reached, breaker open) is written unleased, for any node's claim.
 */
export interface DeliveryHandoff {
  /** The node name deliveries are leased to, and how long a lease lasts. */
  readonly node: string;
  readonly leaseMs: number;
  /** Slots for those of `candidates` this node can send now, under its caps; the ids it took. */
  reserve(candidates: HandoffCandidate[]): Set<string>;
  /**
   * Deliveries written leased to this node and committed. The lease this node counts runs from
   * their reservation, before the statement that leased them: it ends no later than the database's.
   */
  adopt(deliveries: ClaimedDelivery[]): void;
  /** Gives back the slots of reserved deliveries that were not written. */
  unreserve(ids: Iterable<string>): void;
  /**
   * Gives back the slots of reserved deliveries whose transaction did not commit, as far as intake
   * knows: a COMMIT whose reply was lost may have committed them, so their rows, if any, are
   * handed back too, for any node's claim at once instead of when their lease lapses.
   */
  abandon(ids: Iterable<string>): void;
  /** Deliveries were committed unleased: claim now rather than at the next poll. */
  wake(): void;
}
