import type { BeginAnswer, BeginRun, RenewAnswer, RunMarkerState } from './ports/run-markers';

/**
 * The run markers' transitions (the `RunMarkers` port, ports/run-markers.ts), written once:
 * the in-memory and PostgreSQL coordinators run these functions on the stored state under a
 * lock, the Redis coordinator runs the same steps in a Lua script (test/integration/run-marker-protocol.spec.ts
 * runs the same cases through both).
 */

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
