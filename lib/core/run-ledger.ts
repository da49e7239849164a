import type { Clock } from './clock';
import { describeError } from './logger';
import type { PreviousRun } from './run-context';
import type { OverlapPolicy, RoutineCounters, RunOutcome, RunStatus, SkipReason } from './routine';

/** How a run ended. */
export type EndStatus = 'succeeded' | 'failed' | 'cancelled';

/**
 * A run as the ledger records it: its id, when it was due and when it started (monotonic).
 * `due` is a wall time when `dueOnWall` (cluster grid, cron), else monotonic: converted only
 * when the last run is read, not at every run's end (measured).
 */
export interface LedgerRun {
  readonly id: number;
  readonly due: number;
  readonly dueOnWall: boolean;
  readonly startedAt: number;
  /** Cluster background attempts: the lease's fencing epoch. */
  readonly epoch?: number;
  /** The overlap policy that started or cancelled it, if one did. */
  readonly policy?: OverlapPolicy;
  /** Whether `backfill()` started it. */
  readonly backfill?: boolean;
  /** Whether `catchup` started it. */
  readonly catchup?: boolean;
}

/**
 * Receives each run as it ends and each tick skipped, in plain arguments, so that recording
 * allocates nothing per run: the run history (`RunHistory`) implements it. Times are
 * monotonic; `due` is a wall time when `dueOnWall`.
 */
export interface RunRecorder {
  ran(
    id: number,
    status: EndStatus,
    due: number,
    dueOnWall: boolean,
    startedAt: number,
    finishedAt: number,
    error: unknown,
    epoch: number | undefined,
    /** A run `backfill()` started. */
    backfill?: boolean,
  ): void;
  skipped(due: number, dueOnWall: boolean, reason: SkipReason, at: number): void;
  /** Background: the attempt just recorded as failed is restarted after `delayMs`. */
  restartScheduled(delayMs: number): void;
}

/** The last run's policy, backfill and catch-up marks and kept value: made only for such runs. */
interface Marks {
  policy?: OverlapPolicy;
  backfill?: true;
  catchup?: true;
  value?: unknown;
}

/**
 * What a routine counts and remembers of its runs: the counters, the last run that ended, the
 * last error and the current failure streak. Shared by both kinds of routine.
 *
 * The last run is kept as fields, not as a `RunOutcome`, so that a run allocates nothing that
 * outlives it; `lastOutcome()` builds the object when asked, with wall times.
 */
export class RunLedger {
  succeeded = 0;
  failures = 0;
  cancelled = 0;
  skipped = 0;
  consecutiveFailures = 0;
  lastError: { at: number; message: string } | undefined = undefined;
  private lastStatus: EndStatus | undefined = undefined;
  private lastRunError: unknown = undefined;
  private lastRunId = 0;
  private lastDue = NaN;
  private lastDueOnWall = false;
  private lastStartedAt = NaN;
  private lastFinishedAt = NaN;
  /** The last run's policy and backfill mark, made only for such runs (most have neither). */
  private lastMarks: Marks | undefined = undefined;

  /** Whether the recorder's last call threw: its failures are reported once per streak. */
  private recorderFailing = false;

  constructor(
    private readonly recorder?: RunRecorder,
    /** Told when the recorder throws, once per streak of failures: logs it. */
    private readonly onRecorderError?: (error: unknown) => void,
  ) {}

  /** Background: the attempt just recorded as failed is restarted after `delayMs`. */
  restartScheduled(delayMs: number): void {
    const recorder = this.recorder;
    if (recorder === undefined) return;
    try {
      recorder.restartScheduled(delayMs);
      this.recorderFailing = false;
    } catch (error) {
      this.recorderThrew(error);
    }
  }

  /**
   * A recorder that throws never affects the routine: its failure is reported once, and again
   * only after it worked in between. (Each call site has its own try, not a shared callback:
   * recording allocates nothing per run.)
   */
  private recorderThrew(error: unknown): void {
    if (this.recorderFailing) return;
    this.recorderFailing = true;
    try {
      this.onRecorderError?.(error);
    } catch {
      // a logger that throws: nothing more to do
    }
  }

  /** Records a run that ended at `finishedAt` (monotonic); `error` is what it threw, if it did not succeed. */
  ended(
    clock: Clock,
    status: EndStatus,
    run: LedgerRun,
    finishedAt: number,
    error: unknown,
    /** What a succeeded run's handler returned, as a JSON copy (see `ctx.previous`). */
    value?: unknown,
  ): void {
    if (status === 'succeeded') {
      this.succeeded++;
      this.consecutiveFailures = 0;
    } else if (status === 'cancelled') {
      this.cancelled++;
    } else {
      this.failures++;
      this.consecutiveFailures++;
      this.lastError = { at: clock.wallOf(finishedAt), message: describeError(error).message };
    }
    this.lastStatus = status;
    this.lastRunId = run.id;
    this.lastDue = run.due;
    this.lastDueOnWall = run.dueOnWall;
    this.lastStartedAt = run.startedAt;
    this.lastFinishedAt = finishedAt;
    const policy = run.policy;
    const backfill = run.backfill === true;
    const catchup = run.catchup === true;
    if (policy === undefined && !backfill && !catchup && value === undefined) {
      this.lastMarks = undefined;
    } else {
      const marks: Marks = {};
      if (policy !== undefined) marks.policy = policy;
      if (backfill) marks.backfill = true;
      if (catchup) marks.catchup = true;
      if (value !== undefined) marks.value = value;
      this.lastMarks = marks;
    }
    this.lastRunError = status === 'succeeded' ? undefined : error;
    const recorder = this.recorder;
    if (recorder === undefined) return;
    try {
      recorder.ran(
        run.id,
        status,
        run.due,
        run.dueOnWall,
        run.startedAt,
        finishedAt,
        error,
        run.epoch,
        backfill,
      );
      this.recorderFailing = false;
    } catch (thrown) {
      this.recorderThrew(thrown);
    }
  }

  /** Records a tick that was due and not run (`claimed`: another replica ran it; not counted). */
  skip(due: number, dueOnWall: boolean, reason: SkipReason, at: number): void {
    if (reason === 'claimed') return;
    this.skipped++;
    const recorder = this.recorder;
    if (recorder === undefined) return;
    try {
      recorder.skipped(due, dueOnWall, reason, at);
      this.recorderFailing = false;
    } catch (error) {
      this.recorderThrew(error);
    }
  }

  /** The last run that ended, with wall times, as `info().lastRun` and `trigger()` report it. */
  lastOutcome(clock: Clock): RunOutcome | undefined {
    const status: RunStatus | undefined = this.lastStatus;
    if (status === undefined) return undefined;
    const outcome: RunOutcome = {
      runId: this.lastRunId,
      status,
      dueAt: this.lastDueOnWall ? this.lastDue : clock.wallOf(this.lastDue),
      startedAt: clock.wallOf(this.lastStartedAt),
      finishedAt: clock.wallOf(this.lastFinishedAt),
      durationMs: this.lastFinishedAt - this.lastStartedAt,
    };
    if (status !== 'succeeded') outcome.error = this.lastRunError;
    if (this.lastMarks?.policy !== undefined) outcome.policy = this.lastMarks.policy;
    if (this.lastMarks?.backfill) outcome.backfill = true;
    if (this.lastMarks?.catchup) outcome.catchup = true;
    return outcome;
  }

  /** The last run that ended, as `ctx.previous` gives it. */
  previous(clock: Clock): PreviousRun | undefined {
    const status = this.lastStatus;
    if (status === undefined) return undefined;
    const previous: PreviousRun = { status, finishedAt: clock.wallOf(this.lastFinishedAt) };
    if (status !== 'succeeded' && this.lastRunError !== undefined) {
      previous.error = describeError(this.lastRunError).message;
    }
    const value = this.lastMarks?.value;
    if (value !== undefined) previous.value = structuredClone(value);
    return previous;
  }

  /** The counters, given how many runs started (the routine numbers them: its last run id) and restarts. */
  counters(runs: number, restarts = 0): RoutineCounters {
    return {
      runs,
      succeeded: this.succeeded,
      failures: this.failures,
      cancelled: this.cancelled,
      skipped: this.skipped,
      restarts,
    };
  }
}
