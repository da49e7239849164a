// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured choices".
import type { Clock } from './clock';
import { CoordinatorTimeoutError } from './errors';

/**
 * Calls `call` and settles with its result, or rejects with a {@link CoordinatorTimeoutError}
 * once `timeoutMs` have passed on the monotonic clock, whichever comes first. A synchronous
 * throw becomes a rejection. `onLate` receives the result of a call that answered after its
 * deadline, so that what it took (a slot, a lease) can be handed back.
 *
 * The engine's call goes on in the background: the deadline frees the caller (a tick loop, a
 * renewal, `app.close()`), not the connection.
 */
export function withDeadline<T>(
  clock: Clock,
  timeoutMs: number,
  what: string | (() => string),
  call: () => Promise<T>,
  onLate?: (value: T) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = clock.setTimer(deadlineAt(clock.now(), timeoutMs), () => {
      if (settled) return;
      settled = true;
      reject(new CoordinatorTimeoutError(typeof what === 'string' ? what : what(), timeoutMs));
    });
    let pending: Promise<T>;
    try {
      pending = call();
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (value) => {
        if (settled) return onLate?.(value);
        settled = true;
        clock.clearTimer(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clock.clearTimer(timer);
        reject(error);
      },
    );
  });
}

/**
 * Deadlines fall on whole multiples of 5 ms: the claims of routines that tick together then
 * share one timer (the system clock groups timers by due time) instead of arming one each
 * (measured).
 */
const GRANULARITY_MS = 5;

function deadlineAt(now: number, timeoutMs: number): number {
  return Math.ceil((now + Math.max(0, timeoutMs)) / GRANULARITY_MS) * GRANULARITY_MS;
}
