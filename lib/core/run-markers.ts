/**
 * Cluster-wide overlap: which runs of a cluster periodic routine are in flight on any replica,
 * and which slots wait for them. A run marker is held like a lease (renewed while the run
 * lasts, expiring with the replica that stopped renewing it) and numbered by a fencing epoch.
 *
 * The transitions below are the contract, written once: the in-memory and PostgreSQL
 * coordinators run these functions on the stored state under a lock, the Redis coordinator
 * runs the same steps in a Lua script.
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

/** A new routine's state. */
export function emptyRunMarkers(): RunMarkerState {
  return { running: [], waiting: [], epoch: 0 };
}

function dropExpired(state: RunMarkerState, now: number): void {
  state.running = state.running.filter((marker) => marker.expiresAt > now);
  state.waiting = state.waiting.filter((place) => place.expiresAt > now);
}

/** `begin` on a state (mutated); the answer carries no `previous`, which the store adds. */
export function beginRun(state: RunMarkerState, request: BeginRun, now: number): BeginAnswer {
  dropExpired(state, now);
  const { token, ttlMs, limit, queue, cancel } = request;
  const expiresAt = now + ttlMs;
  const place = state.waiting.findIndex((entry) => entry.token === token);
  const room = state.running.length < limit;
  if (place >= 0) {
    if (place === 0 && room) {
      state.waiting.shift();
      state.running.push({ token, expiresAt });
      return { state: 'running', epoch: ++state.epoch };
    }
    state.waiting[place].expiresAt = expiresAt;
    return { state: 'queued' };
  }
  if (state.running.some((marker) => marker.token === token)) {
    return { state: 'running', epoch: state.epoch }; // a retried call that had succeeded
  }
  if (room && state.waiting.length === 0) {
    state.running.push({ token, expiresAt });
    return { state: 'running', epoch: ++state.epoch };
  }
  if (state.waiting.length < queue) {
    state.waiting.push({ token, expiresAt });
    if (cancel) for (const marker of state.running) marker.cancel = true;
    return { state: 'queued' };
  }
  return { state: 'busy' };
}

/** `renew` on a state (mutated). */
export function renewRun(
  state: RunMarkerState,
  token: string,
  ttlMs: number,
  now: number,
): RenewAnswer {
  dropExpired(state, now);
  const marker = state.running.find((entry) => entry.token === token);
  if (marker === undefined) {
    const place = state.waiting.find((entry) => entry.token === token);
    if (place === undefined) return 'lost';
    place.expiresAt = now + ttlMs;
    return 'running';
  }
  marker.expiresAt = now + ttlMs;
  return marker.cancel ? 'cancelled' : 'running';
}

/**
 * `end` on a state (mutated). Answers whether the token still held a running marker, live at
 * `now`: only then may its outcome be stored as `previous`.
 */
export function endRun(state: RunMarkerState, token: string, now = -Infinity): boolean {
  const held = state.running.some((marker) => marker.token === token && marker.expiresAt > now);
  state.running = state.running.filter((marker) => marker.token !== token);
  state.waiting = state.waiting.filter((place) => place.token !== token);
  return held;
}
