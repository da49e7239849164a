/**
 * A lease on a cluster-scoped background routine. `epoch` only grows across holders: a
 * routine passes it along with its writes so that a store can refuse a stale holder's
 * (a fencing token).
 */
export interface Lease {
  readonly routine: string;
  /** Unique to this holding; renew and release compare it. */
  readonly token: string;
  readonly epoch: number;
}

/**
 * How replicas agree on who runs what. Implementations must make each call one atomic
 * operation on the engine's own clock, so that replicas with skewed clocks still agree.
 *
 * - `claimSlot`: the first caller for a (routine, slot) pair wins, every later one loses,
 *   for at least `ttlMs`. One run per slot, whichever replicas are up.
 * - `acquireLease` / `renewLease` / `releaseLease`: one holder at a time per routine, for
 *   `ttlMs` after its last successful acquire or renew.
 *
 * Any method may reject when the engine is unreachable; the runtime then fails closed.
 */
export interface Coordinator {
  /** Short name for logs: 'memory', 'redis', 'postgres'. */
  readonly kind: string;
  claimSlot(routine: string, slot: number, ttlMs: number): Promise<boolean>;
  acquireLease(routine: string, ttlMs: number): Promise<Lease | null>;
  renewLease(lease: Lease, ttlMs: number): Promise<boolean>;
  releaseLease(lease: Lease): Promise<void>;
}

/** A process-unique token for leases. */
export function newToken(): string {
  return `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
