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

/** Options of {@link Leases.acquireLease}. */
export interface AcquireOptions {
  /**
   * The version of the app asking. A routine that completed under this version is not
   * acquired again: the call answers {@link CompletedRoutine} instead of a lease.
   */
  version?: string;
}

/** What `acquireLease` answers for a cluster routine that already completed under the version asked. */
export interface CompletedRoutine {
  readonly completed: true;
  readonly version: string;
}

export function isCompletedRoutine(value: unknown): value is CompletedRoutine {
  return (
    typeof value === 'object' && value !== null && (value as CompletedRoutine).completed === true
  );
}

/**
 * One holder at a time per cluster background routine. Each call is one atomic operation on
 * the engine's own clock, so that replicas with skewed clocks still agree.
 *
 * - `acquireLease` / `renewLease` / `releaseLease`: one holder at a time per routine, for
 *   `ttlMs` after its last successful acquire or renew. Every acquire issues an epoch above
 *   every epoch issued before for that routine, whatever the engine lost in between.
 * - `completeLease`: the holder's routine finished; records it under a version, releases the
 *   lease, and makes later `acquireLease` calls with that version answer `completed`.
 *   `resetCompletion` forgets it.
 *
 * Any method may reject when the engine is unreachable; the runtime then fails closed.
 */
export interface Leases {
  acquireLease(
    routine: string,
    ttlMs: number,
    options?: AcquireOptions,
  ): Promise<Lease | CompletedRoutine | null>;
  renewLease(lease: Lease, ttlMs: number): Promise<boolean>;
  releaseLease(lease: Lease): Promise<void>;
  completeLease?(lease: Lease, version: string): Promise<boolean>;
  resetCompletion?(routine: string): Promise<void>;
}
