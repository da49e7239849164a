import {
  bucketStart,
  type Clock,
  type RoutineLogger,
  type RunHistoryBounds,
  type RunHistoryStore,
  type StoredRun,
  type TimerHandle,
} from '../core';
import { withDeadline } from '../core/deadline';
import { reportCoordinatorFailure, reportCoordinatorSuccess } from '../cluster/coordinator-outage';

/** How the writer batches, bounds and prunes; durations in ms. */
export interface HistoryWriterSettings {
  /** A batch is sent this long after its first run at the latest. */
  flushEveryMs: number;
  /** ...or as soon as it holds this many runs. */
  batchSize: number;
  /** Runs held while the engine does not answer; past it the oldest are dropped (and counted). */
  maxBuffered: number;
  /** Raw runs kept this long, and at most `keepRuns` per routine. */
  keepForMs: number;
  keepRuns: number;
  /** Hourly buckets kept this long, daily ones `keepDaysForMs`. */
  keepHoursForMs: number;
  keepDaysForMs: number;
  /** One replica prunes the whole cluster's history once per this period. */
  pruneEveryMs: number;
  /** Each call to the engine has this deadline. */
  callTimeoutMs: number;
}

/** The name a prune period is claimed under: a slot, not a routine (`registry.list()` never shows it). */
export const PRUNE_CLAIM = '~routines:history-prune';

/**
 * What the writer needs of the coordinator besides its history: its slots, to prune once per
 * period for the cluster, and itself as the source of outages, so that an engine that is down
 * is reported once, by whichever call found it first.
 */
export interface HistoryEngine {
  readonly kind: string;
  claimSlot(routine: string, slot: number, ttlMs: number): Promise<boolean>;
}

/**
 * Sends the runs this replica recorded to the engine's run history, in batches, off the runs'
 * path: a run only pushes a record on an array. A batch goes once it holds `batchSize` runs or
 * `flushEveryMs` after its first; while the engine does not answer, the runs wait (at most
 * `maxBuffered`, the oldest dropped and counted) and the outage is reported once, with the
 * coordinator's other calls (`reportCoordinatorFailure`). A batch that failed is sent again;
 * one that timed out may have landed all the same, which the engines' appends tolerate (a run
 * already kept is neither kept nor counted twice).
 */
export class HistoryWriter {
  private buffer: StoredRun[] = [];
  private timer: TimerHandle | undefined = undefined;
  /** When the pending timer fires. */
  private timerAt = Infinity;
  /** The last batch failed: the next try waits for the retry timer, whatever the buffer holds. */
  private failing = false;
  private flushing: Promise<void> | undefined = undefined;
  private closed = false;
  /** Runs dropped since the writer started (the buffer was full). */
  dropped = 0;
  /** Dropped during the current outage: said once it ends. */
  private droppedUntold = 0;
  private nextPruneAt = -Infinity;

  constructor(
    private readonly engine: HistoryEngine,
    private readonly store: RunHistoryStore,
    readonly replica: string,
    private readonly clock: Clock,
    private readonly logger: RoutineLogger,
    private readonly settings: HistoryWriterSettings,
  ) {}

  /** How many runs wait to be sent. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Takes one run to send; never waits and never throws. */
  push(run: StoredRun): void {
    if (this.closed) return;
    if (this.buffer.length >= this.settings.maxBuffered) this.drop(1);
    this.buffer.push(run);
    const now = this.clock.now();
    const full = this.buffer.length >= this.settings.batchSize && !this.failing;
    if (full && this.timerAt > now) this.schedule(now);
    else if (this.timer === undefined) this.schedule(now + this.settings.flushEveryMs);
  }

  /** Sends what is buffered, batch by batch; resolves once done or the engine failed. */
  flush(): Promise<void> {
    this.flushing ??= this.sendAll().finally(() => {
      this.flushing = undefined;
      // Runs pushed while the last batch was in flight, or kept after a failure.
      if (this.buffer.length > 0 && !this.closed) {
        this.schedule(this.clock.now() + this.settings.flushEveryMs);
      }
    });
    return this.flushing;
  }

  /** On shutdown: sends what is left, waiting at most `deadlineMs`; later runs are not taken. */
  async close(deadlineMs: number): Promise<void> {
    this.cancelTimer();
    const settled = this.flushing ?? Promise.resolve();
    const done = settled.then(() => (this.buffer.length > 0 ? this.flush() : undefined));
    this.closed = true;
    await withDeadline(this.clock, deadlineMs, 'history (flush on shutdown)', () => done).catch(
      () => undefined,
    );
    this.cancelTimer();
  }

  private schedule(at: number): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimer(at, () => {
      this.timer = undefined;
      this.timerAt = Infinity;
      void this.flush();
    });
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private async sendAll(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.settings.batchSize);
      if (!(await this.send(batch))) return;
    }
    await this.pruneIfDue();
  }

  /** One batch; false when the engine failed (the batch is then kept for the next try). */
  private async send(batch: StoredRun[]): Promise<boolean> {
    const history = this.store;
    try {
      await withDeadline(this.clock, this.settings.callTimeoutMs, 'history (append)', () =>
        history.append(batch, this.settings.keepRuns),
      );
    } catch (error) {
      this.keep(batch);
      this.failing = true;
      reportCoordinatorFailure(this.engine, this.clock, this.logger, 'history', error);
      return false;
    }
    this.failing = false;
    reportCoordinatorSuccess(this.engine, this.clock, this.logger);
    if (this.droppedUntold > 0) {
      this.logger.warn(
        `run history: ${this.droppedUntold} run(s) recorded while the ${this.engine.kind} ` +
          `coordinator did not answer were dropped (at most ${this.settings.maxBuffered} are held)`,
      );
      this.droppedUntold = 0;
    }
    return true;
  }

  /** Puts a refused batch back in front of the runs that came since, within the bound. */
  private keep(batch: StoredRun[]): void {
    this.buffer = batch.concat(this.buffer);
    const over = this.buffer.length - this.settings.maxBuffered;
    if (over > 0) this.drop(over);
  }

  private drop(count: number): void {
    this.buffer.splice(0, count);
    this.dropped += count;
    this.droppedUntold += count;
  }

  /**
   * Once per `pruneEveryMs` for the whole cluster: the replica that claims the period's slot
   * prunes every routine's history. A failure waits for the next period.
   */
  private async pruneIfDue(): Promise<void> {
    const now = this.clock.wallNow();
    if (now < this.nextPruneAt) return;
    const every = this.settings.pruneEveryMs;
    const slot = Math.floor(now / every) * every;
    this.nextPruneAt = slot + every;
    try {
      const won = await withDeadline(
        this.clock,
        this.settings.callTimeoutMs,
        'history (prune)',
        () => this.engine.claimSlot(PRUNE_CLAIM, slot, every),
      );
      if (!won) return;
      await withDeadline(this.clock, this.settings.callTimeoutMs, 'history (prune)', () =>
        this.store.prune(this.bounds(now)),
      );
    } catch (error) {
      reportCoordinatorFailure(this.engine, this.clock, this.logger, 'history prune', error);
    }
  }

  private bounds(now: number): RunHistoryBounds {
    const s = this.settings;
    return {
      runsBefore: now - s.keepForMs,
      runsPerRoutine: s.keepRuns,
      hoursBefore: bucketStart(now - s.keepHoursForMs, 'hour'),
      daysBefore: bucketStart(now - s.keepDaysForMs, 'day'),
    };
  }
}
