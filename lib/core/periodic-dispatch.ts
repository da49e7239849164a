// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured
// choices", before moving a field or turning a bound method into an arrow function.
import type { CatchUpPlan, CatchUpPolicy } from './catch-up';
import { MAX_LATE_EVENTS } from './catch-up-queue';
import type { Clock } from './clock';
import type { HeldMarker } from '../cluster/cluster-overlap';
import { OverlapBuffer, type WaitingTick } from './overlap-buffer';
import type { PeriodicHandler } from './periodic-handler';
import {
  DEFAULT_MAX_BUFFERED,
  type PeriodicRoutineOptions,
  type ResolvedPeriodicOptions,
} from './periodic-options';
import { PeriodicRuns } from './periodic-runs';
import { MESSAGES } from './core.messages';
import { reportError } from './logger';
import type { OverlapPolicy, RunOutcome } from './routine';
import type { CatchUp, Schedule } from './schedule';

/**
 * What each due time of a periodic routine becomes: a run now, a claim of its cluster slot, a
 * tick waiting in the overlap buffer, a late due time caught up, or a skip. The collaborators
 * (`SlotClaimer`, `OverlapBuffer`, `CatchUpQueue`) call back here. `PeriodicRoutine` extends it
 * with the public controls; `PeriodicRuns`, below it, starts and ends the runs.
 */
// The hosts' members are left out of the .d.ts (internal), so the class cannot declare
// `implements SlotClaimHost, CatchUpHost, OverlapBufferHost` there; the collaborators that
// receive `this` check it against those interfaces where they are made.
export abstract class PeriodicDispatch extends PeriodicRuns {
  protected readonly overlapOption: OverlapPolicy;

  protected constructor(
    clock: Clock,
    schedule: Schedule,
    name: string,
    handler: PeriodicHandler,
    resolved: ResolvedPeriodicOptions,
    options: PeriodicRoutineOptions,
  ) {
    super(clock, schedule, name, handler, resolved, options);
    this.overlapOption = resolved.overlap;
  }

  /** `overlap`: what a tick that finds a run in flight does. */
  get overlap(): OverlapPolicy {
    return this.overlapOption;
  }

  /** @internal Runs once for `due`, now, as a trigger does; `backfill` marks the run as a backfill's. */
  runNow(
    due: number,
    policy: OverlapPolicy,
    backfill: boolean,
    now = this.clock.now(),
    /** A trigger's: told the run's id as it starts (now, or once the run in flight ends). */
    started?: (runId: number) => void,
  ): Promise<RunOutcome> {
    if (!this.hasRoom() && policy !== 'allow') {
      const skipped: RunOutcome = {
        status: 'skipped',
        reason: 'busy',
        dueAt: this.wallOfDue(due),
        policy,
      };
      if (policy === 'skip') return Promise.resolve(skipped);
      // A buffered or replacing run resolves once it has ended (or been skipped).
      const buffer = (this.buffer ??= new OverlapBuffer(
        this,
        this.overlapOption,
        DEFAULT_MAX_BUFFERED,
      ));
      return new Promise((resolve) => {
        if (!buffer.wait(due, policy, resolve, backfill, started)) resolve(skipped);
      });
    }
    return new Promise((resolve) => {
      const run = this.nextRun(due, false, resolve);
      run.mark(policy === 'allow' && !this.hasRoom() ? policy : undefined, backfill);
      // The id launch gives the run, read before: a handler that ends at once frees the object.
      const id = this.lastRunId + 1;
      this.launch(run, now);
      if (started) this.tellStarted(started, id);
    });
  }

  // --- Ticks (Ticker) ------------------------------------------------------------------------

  /**
   * @internal Counts the late ticks a catch-up superseded. Events go out for the first few
   * only: a week asleep at 100 ms is six million ticks, counted at once rather than reported
   * one by one.
   */
  skipLate(due: number, step: number, caught: CatchUp): void {
    // A cron schedule reports the times catch-up already looked up: each lookup is costly.
    const times = caught.first;
    const reported = Math.min(caught.missed, times ? times.length : MAX_LATE_EVENTS);
    for (let i = 0; i < reported; i++) this.skip(times ? times[i] : due + i * step, 'late');
    this.ledger.skipped += caught.missed - reported;
  }

  /** @internal A tick is due: run it, claim its slot, or skip it. */
  tick(due: number, now: number, armsNextTick: boolean): void {
    if (this.completeIfPast(due)) return;
    const onWallClock = this.timetable.onWallClock;
    if (this.backoffUntil > (onWallClock ? this.clock.now() : due)) {
      this.skip(due, 'backoff');
      return this.slotNotRun(armsNextTick);
    }
    // With run markers, overlap is decided across replicas, once per slot by its claimant.
    if (!this.hasRoom() && !(this.claims !== undefined && this.claims.overlap !== null)) {
      const buffer = this.buffer;
      if (!buffer?.buffers || !buffer.wait(due, buffer.policy, undefined, false)) {
        this.skip(due, 'busy', this.overlapOption);
      }
      return this.slotNotRun(armsNextTick);
    }
    if (this.claims) return this.claims.claim(due, armsNextTick);
    // `now` is on the monotonic scale only for intervals; a cron run reads its own start.
    this.launch(this.nextRun(due, armsNextTick), onWallClock ? undefined : now);
  }

  /** @internal */
  catchUpPolicy(): CatchUpPolicy | undefined {
    return this.catchUp?.policy;
  }

  /** @internal A stall or a pause left due times late: catch-up runs the plan's, counts the missed. */
  lateDueTimes(from: number, step: number, plan: CatchUpPlan): void {
    this.catchUp!.late(from, step, plan);
  }

  // --- Catch-up (CatchUpHost) and overlap buffer (OverlapBufferHost) -----------------------

  /** @internal */
  get buffers(): boolean {
    return this.buffer?.buffers ?? false;
  }

  /** @internal */
  mayRunLate(): boolean {
    return this.shutdown === undefined && this.isLive() && this.hasRoom();
  }

  /** @internal */
  completeIfPast(due: number): boolean {
    if (!this.bounds.isPast(this.wallOfDue(due))) return false;
    this.complete();
    return true;
  }

  /** @internal */
  backedOff(due: number): boolean {
    return this.backoffUntil > (this.timetable.onWallClock ? this.clock.now() : due);
  }

  /** @internal */
  countSkipped(count: number): void {
    this.ledger.skipped += count;
  }

  /** @internal */
  runLate(due: number): void {
    if (this.claims) return this.claims.claimLate(due);
    const run = this.nextRun(due, false);
    run.mark(undefined, false, true);
    this.launch(run);
  }

  /** @internal */
  isStopping(): boolean {
    return this.currentState === 'stopping' || this.currentState === 'stopped';
  }

  /** @internal */
  runWaiting(tick: WaitingTick): void {
    const run = this.nextRun(tick.due, false, tick.done);
    run.mark(tick.policy, tick.backfill);
    const id = this.lastRunId + 1;
    this.launch(run);
    if (tick.started) this.tellStarted(tick.started, id);
  }

  /** A trigger's `started`: what it throws is logged, never the run's or the trigger's failure. */
  private tellStarted(started: (runId: number) => void, id: number): void {
    try {
      started(id);
    } catch (error) {
      reportError(this.logger, MESSAGES.startedCallbackFailed, error);
    }
  }

  // --- Cluster slots (SlotClaimHost) ---------------------------------------------------------

  /** @internal */
  isLive(): boolean {
    return this.currentState === 'running' || this.currentState === 'paused';
  }

  /** @internal */
  isRunning(): boolean {
    return this.currentState === 'running';
  }

  /** @internal */
  canRunMore(): boolean {
    return this.currentState === 'running' && this.hasRoom();
  }

  /** @internal */
  hold(): void {
    this.pending++;
  }

  /** @internal */
  release(): void {
    this.pending--;
    // A catch-up claim's run ended while the claim still held its place: the next goes now.
    this.catchUp?.next();
    this.notifyIfIdle();
  }

  /** @internal */
  runSlot(due: number, armsNextTick: boolean, catchingUp = false): void {
    const run = this.nextRun(due, armsNextTick);
    run.mark(undefined, false, catchingUp);
    this.launch(run);
  }

  /** @internal A won slot the cluster has room for: runs it holding its marker. */
  runMarked(
    due: number,
    armsNextTick: boolean,
    catchingUp: boolean,
    waited: boolean,
    held: HeldMarker,
  ): void {
    const run = this.nextRun(due, armsNextTick);
    run.mark(waited ? this.overlapOption : undefined, false, catchingUp);
    run.marker = held;
    this.launch(run);
    // A run that ended as it started has ended its marker already (see `runEnded`).
    if (!held.ended) this.holdMarker(run, held);
  }

  /** @internal `allow` in cluster scope: runs at once across replicas. */
  clusterLimit(): number {
    return this.concurrency();
  }

  /** @internal `buffer-all`: slots that may wait across replicas. */
  get maxBuffered(): number {
    return this.buffer?.capacity ?? 0;
  }

  /** @internal */
  slotNotRun(armsNextTick: boolean, catchingUp = false): void {
    if (armsNextTick) this.armAfterRun();
    if (catchingUp) this.catchUp?.notRun();
  }

  /** On stop or completion: every waiting tick is skipped as `stopped`. */
  protected dropWaiting(): void {
    this.catchUp?.dropAll();
    this.buffer?.dropAll();
  }
}
