import type { RunMarkers } from './run-markers';

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

/** Options of {@link Coordinator.acquireLease}. */
export interface AcquireOptions {
  /**
   * The version of the app asking. A routine that completed under this version is not
   * acquired again: the call answers {@link CompletedRoutine} instead of a lease.
   */
  version?: string;
}

/** Options of {@link Coordinator.claimSlot}. */
export interface ClaimOptions {
  /**
   * A `backfill()` claim: an operator asked to run this past time. It is not refused for
   * falling before the engine's memory (its first use, or a loss): the claim still makes
   * replicas backfilling together run it once.
   */
  backfill?: boolean;
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
 * How replicas agree on who runs what. Implementations must make each call one atomic
 * operation on the engine's own clock, so that replicas with skewed clocks still agree.
 *
 * - `claimSlot`: the first caller for a (routine, slot) pair wins, every later one loses,
 *   for at least `ttlMs`. One run per slot, whichever replicas are up. The claim keeps the
 *   caller's `token` (one of its own when none is given).
 * - `releaseSlot`: hands back a slot won but not run (shutdown began, or the claim came
 *   back too late), so that another replica may claim it. With a token, only a claim made
 *   with that token is deleted: a release that comes after the claim expired and another
 *   replica claimed the slot leaves that replica's claim alone. (Without one, as callers
 *   from before tokens, the claim is deleted whoever made it.)
 * - `acquireLease` / `renewLease` / `releaseLease`: one holder at a time per routine, for
 *   `ttlMs` after its last successful acquire or renew. Every acquire issues an epoch above
 *   every epoch issued before for that routine, whatever the engine lost in between.
 * - `completeLease`: the holder's routine finished; records it under a version, releases the
 *   lease, and makes later `acquireLease` calls with that version answer `completed`.
 *   `resetCompletion` forgets it.
 *
 * Any method may reject when the engine is unreachable; the runtime then fails closed. The
 * runtime gives every call a deadline of its own and treats a call that misses it as failed.
 */
export interface Coordinator {
  /** Short name for logs: 'memory', 'redis', 'postgres'. */
  readonly kind: string;
  claimSlot(
    routine: string,
    slot: number,
    ttlMs: number,
    token?: string,
    options?: ClaimOptions,
  ): Promise<boolean>;
  releaseSlot?(routine: string, slot: number, token?: string): Promise<void>;
  acquireLease(
    routine: string,
    ttlMs: number,
    options?: AcquireOptions,
  ): Promise<Lease | CompletedRoutine | null>;
  renewLease(lease: Lease, ttlMs: number): Promise<boolean>;
  releaseLease(lease: Lease): Promise<void>;
  completeLease?(lease: Lease, version: string): Promise<boolean>;
  resetCompletion?(routine: string): Promise<void>;
  /**
   * Optional: what the replicas share for the dashboard (see {@link ReplicaDirectory}). A
   * coordinator without it still coordinates; the dashboard then shows this replica only and
   * pauses cluster routines here only.
   */
  readonly replicas?: ReplicaDirectory;
  /**
   * Optional: where out-of-band migrations keep their progress, direction and errors (see
   * {@link MigrationStateStore}). Without it, migrations keep their state in this process.
   */
  readonly migrations?: MigrationStateStore;
  /**
   * Optional: run markers, so that a cluster periodic routine's `overlap` holds across
   * replicas (see {@link RunMarkers}). Without them, overlap holds on each replica only.
   */
  readonly runs?: RunMarkers;
}

/** One out-of-band migration as its store keeps it. Times are the engine's, in wall-clock ms. */
export interface StoredMigration {
  id: string;
  description: string;
  /** 0..1, measured forward: 1 is done, 0 is undone. */
  progress: number;
  /** Whether it is to be run backwards (`down`) until its progress is 0. */
  reverse: boolean;
  nonDestructive: boolean;
  createdAt: number;
  /** When progress was last stored; absent before the first measure. */
  updatedAt?: number;
  /** The fencing epoch of the runner that last stored progress (0: none yet). */
  epoch: number;
  /** The recent measures, oldest first, `[at, progress]`: at most {@link MIGRATION_SAMPLES}. */
  samples: Array<[number, number]>;
}

/** An error a migration's batch met, as kept (the last {@link MIGRATION_ERRORS_KEPT}). */
export interface StoredMigrationError {
  message: string;
  /** Engine time, wall-clock ms. */
  at: number;
}

/** Progress measures kept per migration, for its rate and time to completion. */
export const MIGRATION_SAMPLES = 20;
/** Errors kept per migration, as Sourcegraph keeps. */
export const MIGRATION_ERRORS_KEPT = 100;

/**
 * Out-of-band migrations' shared state: what every replica reads, and what the one runner
 * writes. Each call is one atomic operation on the engine.
 *
 * - `register` adds a migration unknown so far (progress 0, forward) and keeps an existing
 *   one's progress and direction (its description is updated).
 * - `setProgress` stores a measure unless a runner with a higher epoch has stored one (a
 *   stale runner is refused: `false`), and appends it to `samples`.
 * - `addError` keeps the newest {@link MIGRATION_ERRORS_KEPT}; `errors` gives them newest first.
 * - `setDirection` is an operator's: kept until changed, whoever runs.
 */
export interface MigrationStateStore {
  register(id: string, description: string, nonDestructive: boolean): Promise<void>;
  list(): Promise<StoredMigration[]>;
  setProgress(id: string, progress: number, epoch: number): Promise<boolean>;
  addError(id: string, message: string): Promise<void>;
  errors(id: string, limit?: number): Promise<StoredMigrationError[]>;
  setDirection(id: string, reverse: boolean): Promise<void>;
}

/**
 * Who is alive, and the controls an operator set on routines: what every replica publishes
 * and reads so that one page shows them all and a pause holds on each of them. Values are
 * opaque strings (JSON written by the dashboard); expiry runs on the engine's clock.
 *
 * - `publish` writes one replica's snapshot, live for `ttlMs` after the engine received it;
 *   `withdraw` removes it at once (a clean shutdown); `list` gives the live ones.
 * - `setControl` stores the control of one routine (kept until overwritten: it outlives every
 *   replica, so a restarted one finds it); `controls` reads them all.
 */
export interface ReplicaDirectory {
  publish(id: string, snapshot: string, ttlMs: number): Promise<void>;
  withdraw(id: string): Promise<void>;
  list(): Promise<string[]>;
  setControl(routine: string, control: string): Promise<void>;
  controls(): Promise<Map<string, string>>;
}

/** A process-unique token for leases. */
export function newToken(): string {
  return `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
