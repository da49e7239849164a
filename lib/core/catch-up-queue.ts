import type { CatchUpPlan, CatchUpPolicy } from './catch-up';
import type { OverlapPolicy, CatchUpStatus, SkipReason } from './routine';

/** What catch-up needs from its routine. */
export interface CatchUpHost {
  /** Not stopping, running or paused, with room for one more run. */
  mayRunLate(): boolean;
  /** Past `endAt`: the routine completes, and nothing more is caught up. */
  completeIfPast(due: number): boolean;
  /** Within a backoff after failures: the due time is skipped. */
  backedOff(due: number): boolean;
  hasRoom(): boolean;
  /** Whether ticks that find a run in flight wait for it (its overlap policy buffers). */
  readonly buffers: boolean;
  readonly overlap: OverlapPolicy;
  skip(due: number, reason: SkipReason, policy?: OverlapPolicy): void;
  /** Counts skipped due times no event was sent for. */
  countSkipped(count: number): void;
  /** Runs a late due time (in cluster scope: claims it first). */
  runLate(due: number): void;
}

/** Late due times reported one event each; the rest are counted only. */
export const MAX_LATE_EVENTS = 100;

/**
 * `catchup` at work: the late due times a stall, a pause or a start after downtime left, run
 * one at a time in order (each after the run before it ended), the older ones counted
 * `missed`. One per routine with `catchup`.
 */
export class CatchUpQueue {
  /** The late due times waiting, oldest first. */
  private readonly queue: number[] = [];
  /** A catch-up claim or run is under way: the next waits for it, so they run in order. */
  private catchingUp = false;
  private caughtUp = 0;
  private missed = 0;

  constructor(
    private readonly host: CatchUpHost,
    readonly policy: CatchUpPolicy,
  ) {}

  get waiting(): number {
    return this.queue.length;
  }

  /**
   * A stall or a pause left due times late: the plan's run in order (one at a time, after the
   * run in flight where the overlap policy waits; skipped `busy` where it skips), the older
   * ones are counted `missed`.
   */
  late(from: number, step: number, plan: CatchUpPlan): void {
    this.countMissed(from, step, plan);
    if (plan.runs.length === 0) return;
    const host = this.host;
    if (!this.catchingUp && !host.hasRoom() && !host.buffers) {
      for (const due of plan.runs) host.skip(due, 'busy', host.overlap);
      return;
    }
    this.enqueue(plan.runs);
  }

  /** Queues late due times (oldest first) and starts the first unless one is under way. */
  enqueue(dues: number[]): void {
    if (dues.length === 0) return;
    for (const due of dues) this.queue.push(due);
    this.next();
  }

  /**
   * A run ended: a catch-up run frees the way; the next late due time goes unless a tick
   * that waited in the overlap buffer since before it goes first.
   */
  runEnded(wasCatchUp: boolean, nextWaitingDue: number | undefined): void {
    if (wasCatchUp) this.catchingUp = false;
    const queue = this.queue;
    if (queue.length > 0 && !(nextWaitingDue !== undefined && nextWaitingDue < queue[0])) {
      this.next();
    }
  }

  /** A catch-up claim ended without a run here: the next goes. */
  notRun(): void {
    this.catchingUp = false;
    this.next();
  }

  /** Runs (cluster: claims) the oldest late due time, once the one before has ended. */
  next(): void {
    const host = this.host;
    const queue = this.queue;
    while (queue.length > 0 && !this.catchingUp) {
      if (!host.mayRunLate()) return;
      const due = queue.shift()!;
      if (host.completeIfPast(due)) return;
      if (host.backedOff(due)) {
        host.skip(due, 'backoff');
        continue;
      }
      this.catchingUp = true;
      this.caughtUp++;
      return host.runLate(due);
    }
  }

  /** On stop: every late due time waiting is skipped as `stopped`. */
  dropAll(): void {
    for (const due of this.queue.splice(0)) this.host.skip(due, 'stopped');
  }

  status(): CatchUpStatus {
    return {
      windowMs: this.policy.windowMs,
      max: this.policy.max,
      waiting: this.queue.length,
      caughtUp: this.caughtUp,
      missed: this.missed,
    };
  }

  /** Counts the missed due times; events for the first few only (a week asleep is many). */
  private countMissed(from: number, step: number, plan: CatchUpPlan): void {
    if (plan.missed === 0) return;
    this.missed += plan.missed;
    const times = plan.missedTimes;
    const reported = Math.min(plan.missed, times ? times.length : MAX_LATE_EVENTS);
    for (let i = 0; i < reported; i++) this.host.skip(times ? times[i] : from + i * step, 'missed');
    this.host.countSkipped(plan.missed - reported);
  }
}
