import type { Clock, TimerHandle } from './clock';
import type { PeriodicRun } from './periodic-run';
import type { OverlapPolicy, OverlapStatus, RunOutcome, SkipReason } from './routine';

/** What `trigger()` resolves with. */
export type RunDone = (outcome: RunOutcome) => void;

/** A tick waiting for the run in flight, and the trigger waiting on it, if any. */
export interface WaitingTick {
  due: number;
  done: RunDone | undefined;
  policy: OverlapPolicy;
  backfill: boolean;
  /** A trigger's `started`: told the run's id once it starts. */
  started?: (runId: number) => void;
}

/** What the buffer needs from its routine. */
export interface OverlapBufferHost {
  readonly clock: Clock;
  /** Per run: the longest a run that ignores its signal holds `cancel-other`'s tick back. */
  readonly timeoutMs: number | undefined;
  runsInFlight(): PeriodicRun[];
  hasRoom(): boolean;
  /** Whether stop() has begun: nothing waiting starts then. */
  isStopping(): boolean;
  skip(due: number, reason: SkipReason, policy?: OverlapPolicy): void;
  wallOfDue(due: number): number;
  /** Starts a waiting tick's run, now. */
  runWaiting(tick: WaitingTick): void;
}

/**
 * The ticks that wait for the run in flight under `buffer-one`, `buffer-all` and
 * `cancel-other` (Temporal's overlap policies), and their counts. Made only for routines whose
 * policy buffers or cancels, or for a trigger that asks one of those policies of a routine
 * that skips: most routines never have one.
 */
export class OverlapBuffer {
  readonly queue: WaitingTick[] = [];
  buffered = 0;
  superseded = 0;
  overflowed = 0;
  /** `cancel-other`: starts the waiting tick once the timeout has passed, settled or not. */
  private force: TimerHandle | undefined = undefined;

  constructor(
    private readonly host: OverlapBufferHost,
    /** The routine's own policy (a trigger may ask another for itself). */
    readonly policy: OverlapPolicy,
    /** `buffer-all`: most ticks waiting. */
    readonly capacity: number,
  ) {}

  /** Whether the routine's own policy buffers or cancels (not only a trigger's). */
  get buffers(): boolean {
    return this.policy !== 'skip' && this.policy !== 'allow';
  }

  /** The due time of the oldest tick waiting, if any. */
  get nextDue(): number | undefined {
    return this.queue.length > 0 ? this.queue[0].due : undefined;
  }

  /**
   * A tick (or a trigger, with `done`) found a run in flight: queue it under `policy`, or say
   * it cannot be (the caller skips it). `cancel-other` aborts the run in flight and keeps only
   * the newest waiting tick; the older one is skipped.
   */
  wait(
    due: number,
    policy: OverlapPolicy,
    done: RunDone | undefined,
    backfill: boolean,
    started?: (runId: number) => void,
  ): boolean {
    if (policy === 'cancel-other') {
      this.replace({ due, done, policy, backfill, started });
      return true;
    }
    const capacity = policy === 'buffer-one' ? 1 : this.capacity;
    if (this.queue.length >= capacity) {
      this.overflowed++;
      return false;
    }
    this.queue.push({ due, done, policy, backfill, started });
    return true;
  }

  /** Starts the oldest waiting tick, right after a run ended (or, `force`, past the timeout). */
  startNext(force: boolean): void {
    const host = this.host;
    if (host.isStopping() || (!force && !host.hasRoom())) return;
    const next = this.queue.shift();
    if (next === undefined) return;
    if (this.queue.length === 0) this.clearForce();
    this.buffered++;
    host.runWaiting(next);
  }

  /** On stop or completion: every waiting tick is skipped as `stopped`. */
  dropAll(): void {
    this.clearForce();
    for (const tick of this.queue.splice(0)) this.skipWaiting(tick, 'stopped');
  }

  /** A run in flight is superseded (here, or by a newer slot across the cluster). */
  countSuperseded(run: PeriodicRun): void {
    if (!run.superseded) this.superseded++;
  }

  status(): OverlapStatus {
    return {
      policy: this.policy,
      waiting: this.queue.length,
      buffered: this.buffered,
      superseded: this.superseded,
      overflowed: this.overflowed,
    };
  }

  private replace(tick: WaitingTick): void {
    const replaced = this.queue.pop();
    if (replaced) this.skipWaiting(replaced, 'busy', tick.policy);
    this.queue.push(tick);
    for (const run of this.host.runsInFlight()) {
      if (run.superseded) continue;
      this.superseded++;
      run.supersede(); // aborts its signal with a RoutineSupersededError
    }
    // A run that ignores its signal holds the new one back until the timeout at most.
    const timeoutMs = this.host.timeoutMs;
    if (timeoutMs !== undefined && this.force === undefined) {
      const clock = this.host.clock;
      this.force = clock.setTimer(clock.now() + timeoutMs, () => {
        this.force = undefined;
        this.startNext(true);
      });
    }
  }

  private clearForce(): void {
    if (this.force === undefined) return;
    this.host.clock.clearTimer(this.force);
    this.force = undefined;
  }

  private skipWaiting(tick: WaitingTick, reason: SkipReason, policy = tick.policy): void {
    this.host.skip(tick.due, reason, policy);
    const dueAt = this.host.wallOfDue(tick.due);
    tick.done?.({ status: 'skipped', reason, dueAt, policy });
  }
}
