/** An opaque handle for a timer set through a {@link Clock}. */
export interface TimerHandle {
  readonly at: number;
}

/**
 * Time as the routines see it. The runtime never calls `Date.now()` or `setTimeout`
 * directly, so tests can drive every timing rule with a {@link ManualClock}.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once `now()` has reached `at` (an absolute time, not a delay). */
  setTimer(at: number, callback: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

interface Entry extends TimerHandle {
  callback: (() => void) | undefined;
  bucket: Bucket;
}

interface Bucket {
  at: number;
  entries: Entry[];
  live: number;
  timeout: NodeJS.Timeout | undefined;
  /** Armed for less than the time left (past the longest Node.js delay): re-arm on firing. */
  clamped: boolean;
}

const MAX_TIMEOUT = 2 ** 31 - 1;

/**
 * The real clock. Timers due at the same millisecond share one Node.js timeout: routines
 * that tick on the same grid (same interval, started together) cost one timer, not one
 * each. That is why ten thousand routines are cheaper than ten thousand `setInterval`s.
 */
export class SystemClock implements Clock {
  private readonly buckets = new Map<number, Bucket>();

  now(): number {
    return Date.now();
  }

  setTimer(at: number, callback: () => void): TimerHandle {
    let bucket = this.buckets.get(at);
    if (bucket === undefined) {
      bucket = { at, entries: [], live: 0, timeout: undefined, clamped: false };
      this.buckets.set(at, bucket);
      this.arm(bucket);
    }
    const entry: Entry = { at, callback, bucket };
    bucket.entries.push(entry);
    bucket.live++;
    return entry;
  }

  clearTimer(handle: TimerHandle): void {
    const entry = handle as Entry;
    if (entry.callback === undefined) return;
    entry.callback = undefined;
    const bucket = entry.bucket;
    if (--bucket.live === 0 && this.buckets.get(bucket.at) === bucket) {
      clearTimeout(bucket.timeout);
      this.buckets.delete(bucket.at);
    }
  }

  /** Number of Node.js timeouts currently armed; for tests and benchmarks. */
  get pendingTimeouts(): number {
    return this.buckets.size;
  }

  private arm(bucket: Bucket): void {
    // Delays past 2^31-1 ms would fire at once: wait the longest allowed delay, then re-arm.
    const remaining = Math.max(0, bucket.at - Date.now());
    const delay = Math.min(remaining, MAX_TIMEOUT);
    bucket.clamped = remaining > MAX_TIMEOUT;
    bucket.timeout = setTimeout(() => this.fire(bucket), delay);
  }

  private fire(bucket: Bucket): void {
    if (bucket.clamped && bucket.at > Date.now()) return this.arm(bucket);
    this.buckets.delete(bucket.at);
    const entries = bucket.entries;
    for (let i = 0; i < entries.length; i++) {
      const callback = entries[i].callback;
      if (callback === undefined) continue;
      entries[i].callback = undefined;
      try {
        callback();
      } catch {
        // Callbacks are the runtime's own and do not throw; a throw must not starve the others.
      }
    }
  }
}

/** The process-wide real clock, shared so that routines share their timers. */
export const systemClock = new SystemClock();
