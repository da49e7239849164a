/**
 * Cluster-wide overlap: which runs of a cluster periodic routine are in flight on any replica,
 * and which slots wait for them. A run marker is held like a lease (renewed while the run
 * lasts, expiring with the replica that stopped renewing it) and numbered by a fencing epoch.
 *
 * The transitions are the contract, written once (../run-marker-transitions.ts): the in-memory
 * and PostgreSQL coordinators run those functions on the stored state under a lock, the Redis
 * coordinator runs the same steps in a Lua script.
 */

/** One routine's markers, as a store keeps them. Times are the engine's, in ms. */
export interface RunMarkerState {
  /** Runs in flight: at most the routine's limit. `cancel`: a newer slot asked it to stop. */
  running: Array<{ token: string; expiresAt: number; cancel?: boolean }>;
  /** Slots waiting for a run to end, first come first served: at most the routine's queue. */
  waiting: Array<{ token: string; expiresAt: number }>;
  /** The last epoch given to a run: only grows. */
  epoch: number;
}

/** What a slot asks for when it wants to run: see {@link RunMarkers.begin}. */
export interface BeginRun {
  /** Unique to this run (or this waiting slot, which keeps it when it runs). */
  token: string;
  /** The marker (or the place in the queue) expires this long after the engine received the call. */
  ttlMs: number;
  /** Runs at once across the cluster: 1, or `concurrency` with `overlap: 'allow'`. */
  limit: number;
  /** Slots that may wait: 0 (skip), 1 (buffer-one, cancel-other), `maxBuffered` (buffer-all). */
  queue: number;
  /** `cancel-other`: a slot that waits asks the runs in flight to stop. */
  cancel: boolean;
}

/**
 * `running`: this slot runs now, with `epoch`; `previous` is what the last run that ended
 * left (see `end`). `queued`: it waits, and asks again. `busy`: it may neither run nor wait.
 */
export type BeginAnswer =
  { state: 'running'; epoch: number; previous?: string } | { state: 'queued' } | { state: 'busy' };

/** `running`: still held; `cancelled`: still held, and a newer slot asked it to stop; `lost`: expired or taken. */
export type RenewAnswer = 'running' | 'cancelled' | 'lost';

/**
 * Run markers through the coordinator's engine. Each call is atomic on the engine's clock.
 *
 * - `begin`: a token already waiting runs once it is first in line and there is room; a new
 *   token runs when there is room and nobody waits, else waits if the queue has room (asking
 *   the runs to stop, with `cancel`), else is `busy`. Expired markers and places are dropped
 *   first: a killed runner's marker is gone once its ttl has passed.
 * - `renew` keeps a marker (or a place in the queue) for another ttl.
 * - `end` removes the token, running or waiting; with `previous`, a run's outcome (JSON, for
 *   `ctx.previous` on whichever replica runs next) is stored, but only if the run still held
 *   its marker: a run whose marker had expired (a newer run may have begun and ended since)
 *   leaves the stored outcome alone.
 */
export interface RunMarkers {
  begin(routine: string, request: BeginRun): Promise<BeginAnswer>;
  renew(routine: string, token: string, ttlMs: number): Promise<RenewAnswer>;
  end(routine: string, token: string, previous?: string): Promise<void>;
}
