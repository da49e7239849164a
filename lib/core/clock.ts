// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured choices".
/** An opaque handle for a timer set through a {@link Clock}. */
export interface TimerHandle {
  readonly at: number;
}

/**
 * Time as the routines see it. The runtime never calls `Date.now()` or `setTimeout`
 * directly, so tests can drive every timing rule with a {@link testing!ManualClock}.
 *
 * Two readings: `now()` is monotonic (it never moves when the
 * wall clock is stepped by NTP or an operator) and drives schedules, timeouts, backoff and
 * lease deadlines; `wallNow()` is the wall clock, read only where replicas must agree (the
 * cluster grid, cron times). Timers are set on the monotonic reading.
 */
export interface Clock {
  /**
   * Monotonic milliseconds, on the scale of the epoch: the wall time when the process began
   * plus the time elapsed since, so it reads like a date but never goes back or jumps.
   */
  now(): number;
  /** The wall clock: milliseconds since the epoch, as `Date.now()`; may step. */
  wallNow(): number;
  /**
   * The wall time of a monotonic reading, as the wall clock reads now: what routines report
   * (`startedAt`, `finishedAt`, event times), so that they line up with `Date.now()` even
   * after the wall clock was adjusted. Never earlier than the wall time was at that moment.
   */
  wallOf(monotonic: number): number;
  /**
   * Calls `callback` once `now()` has reached `at` (an absolute time, not a delay).
   * `reuse` is a handle of this clock's whose timer has fired or been cleared and that the
   * caller will not use again: a clock may recycle it instead of allocating (the system clock
   * does, which spares a periodic routine an allocation per tick). Clocks may ignore it.
   */
  setTimer(at: number, callback: () => void, reuse?: TimerHandle): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

class Entry implements TimerHandle {
  constructor(
    public callback: (() => void) | undefined,
    /** The bucket the entry is in now; a recycled entry may still sit in an older one's list. */
    public bucket: Bucket,
  ) {}

  // Read from the bucket: a number field of its own would be one more heap object per timer.
  get at(): number {
    return this.bucket.at;
  }
}

interface Bucket {
  at: number;
  entries: Entry[];
  live: number;
  timeout: NodeJS.Timeout | undefined;
  /** Armed for less than the time left (past the longest Node.js delay): re-arm on firing. */
  clamped: boolean;
  /** Still in the map: timers may join it. */
  open: boolean;
}

const MAX_TIMEOUT = 2 ** 31 - 1;

/** How long a wall/monotonic offset is reused: NTP slews the wall clock by < 0.5 ms a second. */
const OFFSET_REFRESH_MS = 1000;

/** The wall time at which the monotonic scale starts; fixed for the process's life. */
const MONOTONIC_ORIGIN = Date.now() - performance.now();

/** Monotonic milliseconds on the epoch's scale: `performance.now()` never steps. */
function monotonicNow(): number {
  return MONOTONIC_ORIGIN + performance.now();
}
/** Callbacks of a bucket run in chunks of this many; see `fireEntries`. */
const CHUNK = 32;

/**
 * The real clock. Timers due at the same millisecond share one Node.js timeout: routines
 * that tick on the same grid (same interval, started together) cost one timer, not one
 * each. That is why ten thousand routines are cheaper than ten thousand `setInterval`s.
 */
export class SystemClock implements Clock {
  private readonly buckets = new Map<number, Bucket>();
  /** The bucket last joined: routines that tick together re-arm for the same time in a row. */
  private lastBucket: Bucket | undefined;
  /** While a chunk of callbacks runs: the time read when it began (see `now`). */
  private chunkNow = NaN;
  private inChunk = false;
  /** Wall minus monotonic, refreshed at most once a second (see `wallOf`). */
  private wallOffset = 0;
  private offsetAt = -Infinity;

  /**
   * Monotonic milliseconds (see {@link Clock.now}). While a chunk of timer callbacks runs, the
   * time read when the chunk began (measured). The trade-off: a handler's synchronous part runs inside its
   * callback, so a routine later in the same chunk (same due millisecond, at most CHUNK of
   * them) sees the time from before it. Its `startedAt`, and a per-run `timeout` armed from
   * it, are early by as long as the handlers before it blocked the thread: nothing for async
   * handlers, and a handler that blocks for long delays every other routine anyway.
   */
  now(): number {
    return this.inChunk ? this.chunkNow : monotonicNow();
  }

  wallNow(): number {
    return Date.now();
  }

  wallOf(monotonic: number): number {
    if (this.now() - this.offsetAt > OFFSET_REFRESH_MS) this.refreshWallOffset();
    return monotonic + this.wallOffset;
  }

  private refreshWallOffset(): void {
    // The first time, just as Date.now() ticks (at most 1 ms of waiting, once): the measure is
    // then the highest it can be, and the ones after never move it.
    if (this.offsetAt < 0) for (const start = Date.now(); Date.now() === start;);
    const now = monotonicNow();
    // Date.now() truncates to the millisecond: + 1 keeps a converted time from reading
    // earlier than the wall clock did at that moment (at most 1 ms later instead).
    const measured = Date.now() + 1 - now;
    // Each measure lands anywhere in that millisecond: taken every time, it moved every
    // converted time by a fraction once a second, so the same run read 1 ms apart from one
    // second to the next (and a page's ETag changed with nothing changed). The offset only
    // grows to the highest measure, and falls when the wall clock stepped back over 1 ms.
    if (measured > this.wallOffset || measured < this.wallOffset - 1 || this.offsetAt < 0)
      this.wallOffset = measured;
    this.offsetAt = now;
  }

  setTimer(at: number, callback: () => void, reuse?: TimerHandle): TimerHandle {
    let bucket = this.lastBucket;
    if (bucket === undefined || bucket.at !== at || !bucket.open) {
      bucket = this.buckets.get(at);
      if (bucket === undefined) {
        bucket = { at, entries: [], live: 0, timeout: undefined, clamped: false, open: true };
        this.buckets.set(at, bucket);
        this.arm(bucket);
      }
      this.lastBucket = bucket;
    }
    let entry: Entry;
    if (reuse instanceof Entry && reuse.callback === undefined) {
      entry = reuse;
      entry.callback = callback;
      entry.bucket = bucket;
    } else {
      entry = new Entry(callback, bucket);
    }
    bucket.entries.push(entry);
    bucket.live++;
    return entry;
  }

  clearTimer(handle: TimerHandle): void {
    const entry = handle as Entry;
    if (entry.callback === undefined) return;
    entry.callback = undefined;
    const bucket = entry.bucket;
    if (--bucket.live === 0 && bucket.open) {
      clearTimeout(bucket.timeout);
      this.close(bucket);
    }
  }

  /** Number of Node.js timeouts currently armed; for tests and benchmarks. */
  get pendingTimeouts(): number {
    return this.buckets.size;
  }

  private arm(bucket: Bucket): void {
    // Delays past 2^31-1 ms would fire at once: wait the longest allowed delay, then re-arm.
    const remaining = Math.max(0, bucket.at - monotonicNow());
    const delay = Math.min(remaining, MAX_TIMEOUT);
    bucket.clamped = remaining > MAX_TIMEOUT;
    bucket.timeout = setTimeout(() => this.fire(bucket), delay);
  }

  private close(bucket: Bucket): void {
    bucket.open = false;
    this.buckets.delete(bucket.at);
    if (this.lastBucket === bucket) this.lastBucket = undefined;
  }

  private fire(bucket: Bucket): void {
    if (bucket.clamped && bucket.at > monotonicNow()) return this.arm(bucket);
    this.close(bucket);
    void this.fireEntries(bucket);
  }

  /**
   * Calls the bucket's callbacks, CHUNK at a time, and awaits once after each chunk: the
   * promise callbacks of the runs a chunk started (a run that settled at once finishes there)
   * then run while those routines are still in the CPU cache, much as Node drains microtasks
   * between two timers (measured). The first chunk runs synchronously, within the Node.js
   * timeout's callback.
   */
  private async fireEntries(bucket: Bucket): Promise<void> {
    const entries = bucket.entries;
    for (let start = 0; start < entries.length; start += CHUNK) {
      const end = Math.min(start + CHUNK, entries.length);
      this.chunkNow = monotonicNow();
      this.inChunk = true;
      for (let i = start; i < end; i++) {
        const entry = entries[i];
        const callback = entry.callback;
        // Cleared, or cleared and recycled into a later bucket: not this bucket's to fire.
        if (callback === undefined || entry.bucket !== bucket) continue;
        entry.callback = undefined;
        try {
          callback();
        } catch {
          // Callbacks are the runtime's own and do not throw; a throw must not starve the others.
        }
      }
      this.inChunk = false;
      if (end < entries.length) await undefined;
    }
  }
}

/** The process-wide real clock, shared so that routines share their timers. */
export const systemClock = new SystemClock();
