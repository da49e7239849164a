import { systemClock, type Clock } from '../core/clock';
import {
  reportCoordinatorFailure,
  reportCoordinatorSuccess,
  type OutageSource,
} from '../cluster/coordinator-outage';
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
  /**
   * The engine the store lives on, whose outages are told once (with the other holders on it:
   * pass the coordinator). Default: the store, as an engine of its own.
   */
  engine?: OutageSource;
}

/** A call to the state store failed: the engine's outage, not the migration's failure. */
class StoreFailure {
  constructor(
    readonly what: string,
    readonly error: unknown,
  ) {}
}

/** The stores run as engines of their own (no `engine` option), one each. */
const storeEngines = new WeakMap<MigrationStateStore, OutageSource>();

function engineOf(store: MigrationStateStore): OutageSource {
  let engine = storeEngines.get(store);
  if (!engine) storeEngines.set(store, (engine = { kind: 'migration state' }));
  return engine;
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
  private readonly engine: OutageSource;

  constructor(
    private readonly store: MigrationStateStore,
    private readonly definitions: readonly MigrationDefinition[],
    private readonly options: MigrationRunnerOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? console;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.idleMs = options.idleMs ?? 5000;
    this.engine = options.engine ?? engineOf(store);
  }

  /**
   * A call to the state store: a failure is the engine's outage (logged once per outage, with
   * the other holders on the engine, and once when it answers again), not the migration's.
   */
  private async fromStore<T>(what: string, call: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await call();
    } catch (error) {
      throw new StoreFailure(what, error);
    }
    reportCoordinatorSuccess(this.engine, this.clock, this.logger);
    return result;
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
      await this.fromStore(`out-of-band migration '${id}': register`, () =>
        this.store.register(id, definition.description, definition.nonDestructive),
      );
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
    const cause = error instanceof StoreFailure ? error.error : error;
    if (state.began) {
      const failed = { direction, outcome: 'failed' as const, epoch, error: summarizeError(cause) };
      this.record(id, failed, state.began);
    }
    this.tell({ type: 'migration-batch-failed', id, direction, error: cause });
    if (error instanceof StoreFailure) {
      // The engine is down (or refuses): said once per outage, with the other holders on it,
      // not once per try; no error to record in a store that does not answer.
      reportCoordinatorFailure(this.engine, this.clock, this.logger, error.what, cause);
      return this.backoff(definition, state);
    }
    const { message } = describeError(cause);
    this.logger.warn(MESSAGES.batchFailed(id, direction, message, state.failures));
    await this.fromStore(`out-of-band migration '${id}': record its error`, () =>
      this.store.addError(id, message),
    ).catch((failure: unknown) => {
      const storeError = failure instanceof StoreFailure ? failure : undefined;
      if (storeError)
        reportCoordinatorFailure(
          this.engine,
          this.clock,
          this.logger,
          storeError.what,
          storeError.error,
        );
    });
    return this.backoff(definition, state);
  }

  /**
   * Doubling from the interval, capped, but never below the interval: the cap is for fast
   * paces, and a slow one (a 5 min interval) must not retry faster because it fails.
   */
  private backoff(definition: MigrationDefinition, state: DriveState): number {
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
    const all = await this.fromStore(`out-of-band migration '${id}': list`, () =>
      this.store.list(),
    );
    return all.find((migration) => migration.id === id);
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
    const { id } = definition;
    const kept = await this.fromStore(`out-of-band migration '${id}': store progress`, () =>
      this.store.setProgress(id, progress, epoch),
    );
    if (!kept) {
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
