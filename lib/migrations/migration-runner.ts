import { systemClock, type Clock } from '../core/clock';
import type { MigrationStateStore, StoredMigration } from '../cluster/ports/migration-state-store';
import { describeError, summarizeError, type RoutineLogger } from '../core/logger';
import type { MigrationContext, MigrationDefinition, MigrationDirection } from './migrator';
import { MigrationFencedError, MigrationTimeoutError } from './migrations.errors';
import { MESSAGES } from './migrations.messages';

/** What the runner tells of each migration. */
export interface MigrationEvent {
  type: 'migration-batch-succeeded' | 'migration-batch-failed' | 'migration-completed';
  id: string;
  direction: MigrationDirection;
  /** The progress measured after the batch (or when found complete). */
  progress?: number;
  error?: unknown;
}

/** One batch as this replica's runner ran it: `registry.migrations.history(id)`. */
export interface MigrationBatchRecord {
  direction: MigrationDirection;
  outcome: 'succeeded' | 'failed';
  /** Wall-clock ms the batch began. */
  startedAt: number;
  /** The batch and the measure after it. */
  durationMs: number;
  /** The progress measured after it (absent when it failed). */
  progress?: number;
  /** The lease epoch it ran under. */
  epoch: number;
  error?: { name: string; message: string };
}

/** Batches kept per migration by a runner. */
export const MIGRATION_BATCHES_KEPT = 100;

export interface MigrationRunnerOptions {
  /** Waits run on it (monotonic). Default: the system clock. */
  clock?: Clock;
  logger?: RoutineLogger;
  onEvent?: (event: MigrationEvent) => void;
  /**
   * After failures in a row, wait `interval · 2^(n-1)`, at most this (but never less than the
   * interval), before the next try. Default: 60 s.
   */
  maxBackoffMs?: number;
  /** While a migration is complete in its direction, how often to look again (progress, direction). Default: 5 s. */
  idleMs?: number;
}

/** What the runner keeps of one migration between its steps. */
interface DriveState {
  /** Failures in a row. */
  failures: number;
  /** The progress measured after the last batch: no need to measure again before the next. */
  measured?: number;
  completeSeen: boolean;
  registered: boolean;
  /** The step in progress: its direction, and when its batch began. */
  direction?: MigrationDirection;
  began?: { at: number; mono: number };
}

/** Whether a migration has nothing left to do in its direction. */
export function isComplete(progress: number, direction: MigrationDirection): boolean {
  return direction === 'forward' ? progress >= 1 : progress <= 0;
}

/**
 * Drives every migration it is given that is not complete in its direction: one batch per
 * interval (`up`, or `down` in reverse), progress measured and stored after each, errors
 * recorded and retried with backoff without holding up the others. `run` is the body of a
 * cluster background routine (in a Nest app, one per migration, each with its own lease): it
 * goes on until its signal aborts (the lease lost, or shutdown).
 */
export class MigrationRunner {
  private readonly clock: Clock;
  private readonly logger: RoutineLogger;
  private readonly maxBackoffMs: number;
  private readonly idleMs: number;
  private readonly sleeping = new Set<() => void>();
  private readonly batches = new Map<string, MigrationBatchRecord[]>();

  constructor(
    private readonly store: MigrationStateStore,
    private readonly definitions: readonly MigrationDefinition[],
    private readonly options: MigrationRunnerOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? console;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.idleMs = options.idleMs ?? 5000;
  }

  /**
   * Runs every migration until `signal` aborts; `epoch` is the runner's lease epoch, passed to
   * each batch and fencing each stored measure. Rejects with {@link MigrationFencedError}
   * when a newer runner has taken over.
   */
  async run(signal: AbortSignal, epoch: number): Promise<void> {
    const stop = new AbortController();
    const both = AbortSignal.any([signal, stop.signal]);
    const fenced: MigrationFencedError[] = [];
    await Promise.all(
      this.definitions.map((definition) =>
        this.drive(definition, both, epoch).catch((error: unknown) => {
          if (!(error instanceof MigrationFencedError)) throw error;
          fenced.push(error);
          stop.abort(error); // every migration of this runner stops: another one runs them
        }),
      ),
    );
    if (fenced.length > 0 && !signal.aborted) throw fenced[0];
  }

  private async drive(
    definition: MigrationDefinition,
    signal: AbortSignal,
    epoch: number,
  ): Promise<void> {
    const state: DriveState = { failures: 0, completeSeen: false, registered: false };
    while (!signal.aborted) {
      let wait: number;
      try {
        wait = await this.step(definition, state, signal, epoch);
      } catch (error) {
        if (error instanceof MigrationFencedError) throw error;
        if (signal.aborted) break;
        wait = await this.failed(definition, state, error, epoch);
      }
      await this.sleep(wait, signal);
    }
  }

  /** One look at a migration: a batch if it is not complete in its direction. Answers the wait. */
  private async step(
    definition: MigrationDefinition,
    state: DriveState,
    signal: AbortSignal,
    epoch: number,
  ): Promise<number> {
    const { id } = definition;
    state.direction = 'forward';
    state.began = undefined;
    // Here, not before the loop: an engine down at start is retried like a failed batch, and
    // never stops the runner.
    if (!state.registered) {
      await this.store.register(id, definition.description, definition.nonDestructive);
      state.registered = true;
    }
    const direction = (await this.stored(id))?.reverse ? 'reverse' : 'forward';
    state.direction = direction;
    const context: MigrationContext = { id, epoch, direction };
    const before = state.measured ?? (await this.measure(definition, context, signal, epoch));
    state.measured = undefined;
    const idle = Math.max(this.idleMs, definition.intervalMs);
    if (isComplete(before, direction)) {
      if (!state.completeSeen)
        this.tell({ type: 'migration-completed', id, direction, progress: before });
      state.completeSeen = true;
      state.failures = 0;
      return idle;
    }
    state.completeSeen = false;
    const began = (state.began = { at: this.clock.wallNow(), mono: this.clock.now() });
    await this.batch(definition, context, signal);
    const after = await this.measure(definition, context, signal, epoch);
    this.record(id, { direction, outcome: 'succeeded', progress: after, epoch }, began);
    state.began = undefined;
    state.failures = 0;
    this.tell({ type: 'migration-batch-succeeded', id, direction, progress: after });
    if (!isComplete(after, direction)) {
      state.measured = after; // no need to measure again before the next batch
      return definition.intervalMs;
    }
    this.tell({ type: 'migration-completed', id, direction, progress: after });
    this.logger.log(MESSAGES.complete(id, direction));
    state.completeSeen = true;
    return idle;
  }

  /** A step failed: recorded, logged, stored, and retried after a backoff. Answers the wait. */
  private async failed(
    definition: MigrationDefinition,
    state: DriveState,
    error: unknown,
    epoch: number,
  ): Promise<number> {
    const { id } = definition;
    const direction = state.direction ?? 'forward';
    state.failures++;
    state.measured = undefined;
    const { message } = describeError(error);
    if (state.began) {
      const failed = { direction, outcome: 'failed' as const, epoch, error: summarizeError(error) };
      this.record(id, failed, state.began);
    }
    this.logger.warn(MESSAGES.batchFailed(id, direction, message, state.failures));
    this.tell({ type: 'migration-batch-failed', id, direction, error });
    await this.store
      .addError(id, message)
      .catch((storeError: unknown) =>
        this.logger.warn(MESSAGES.errorNotRecorded(id, describeError(storeError).message)),
      );
    // Doubling from the interval, capped, but never below the interval: the cap is for fast
    // paces, and a slow one (a 5 min interval) must not retry faster because it fails.
    return Math.max(
      definition.intervalMs,
      Math.min(this.maxBackoffMs, definition.intervalMs * 2 ** (state.failures - 1)),
    );
  }

  /** The last batches this runner ran of a migration, newest first. */
  history(id: string, limit = MIGRATION_BATCHES_KEPT): MigrationBatchRecord[] {
    return (this.batches.get(id) ?? []).slice(0, Math.max(0, limit)).map((batch) => ({ ...batch }));
  }

  private record(
    id: string,
    batch: Omit<MigrationBatchRecord, 'startedAt' | 'durationMs'>,
    began: { at: number; mono: number },
  ): void {
    let list = this.batches.get(id);
    if (!list) this.batches.set(id, (list = []));
    list.unshift({ ...batch, startedAt: began.at, durationMs: this.clock.now() - began.mono });
    if (list.length > MIGRATION_BATCHES_KEPT) list.length = MIGRATION_BATCHES_KEPT;
  }

  private async stored(id: string): Promise<StoredMigration | undefined> {
    return (await this.store.list()).find((migration) => migration.id === id);
  }

  private async measure(
    definition: MigrationDefinition,
    context: MigrationContext,
    signal: AbortSignal,
    epoch: number,
  ): Promise<number> {
    const progress = await this.bounded(definition, signal, 'progress()', (inner) =>
      definition.migrator.progress(inner, context),
    );
    if (
      typeof progress !== 'number' ||
      !Number.isFinite(progress) ||
      progress < 0 ||
      progress > 1
    ) {
      throw new RangeError(MESSAGES.badProgress(progress));
    }
    if (!(await this.store.setProgress(definition.id, progress, epoch))) {
      throw new MigrationFencedError(MESSAGES.fenced(definition.id, epoch));
    }
    return progress;
  }

  private batch(
    definition: MigrationDefinition,
    context: MigrationContext,
    signal: AbortSignal,
  ): Promise<void> {
    const { migrator } = definition;
    if (context.direction === 'reverse' && typeof migrator.down !== 'function') {
      return Promise.reject(new Error(MESSAGES.reverseWithoutDown));
    }
    const what = context.direction === 'forward' ? 'up()' : 'down()';
    return this.bounded(definition, signal, what, (inner) =>
      context.direction === 'forward'
        ? migrator.up(inner, context)
        : migrator.down!(inner, context),
    );
  }

  /** Calls a migrator's method with its own signal, aborted (and failed) past the timeout. */
  private bounded<T>(
    definition: MigrationDefinition,
    signal: AbortSignal,
    what: string,
    call: (signal: AbortSignal) => Promise<T> | T,
  ): Promise<T> {
    const { timeoutMs } = definition;
    if (timeoutMs === undefined) return Promise.resolve().then(() => call(signal));
    const own = new AbortController();
    const inner = AbortSignal.any([signal, own.signal]);
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimer(this.clock.now() + timeoutMs, () => {
        const error = new MigrationTimeoutError(MESSAGES.timedOut(what, timeoutMs));
        own.abort(error);
        reject(error);
      });
      Promise.resolve()
        .then(() => call(inner))
        .then(resolve, reject)
        .finally(() => this.clock.clearTimer(timer));
    });
  }

  /**
   * Looks at every migration now instead of at the end of its wait: a direction was just set
   * here. (Other replicas' runners see it within `idleMs`.)
   */
  wake(): void {
    for (const wake of [...this.sleeping]) wake();
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        this.clock.clearTimer(timer);
        signal.removeEventListener('abort', done);
        this.sleeping.delete(done);
        resolve();
      };
      this.sleeping.add(done);
      const timer = this.clock.setTimer(this.clock.now() + ms, done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private tell(event: MigrationEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's failure is not the migration's.
    }
  }
}
