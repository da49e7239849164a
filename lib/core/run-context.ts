/**
 * What a run is given besides its signal: the second argument of a periodic `handle(signal,
 * ctx)` and of a background `start(signal, ctx)`. Made fresh for every run, whatever the
 * handler declares (a default or rest parameter, `arguments`, a wrapper passing it on), so a
 * handler may keep it.
 *
 * @example
 * @Periodic('1h', { scope: 'cluster' })
 * async sendReport(signal: AbortSignal, ctx: RunContext) {
 *   // One report per slot, even if this run is retried by hand: the slot is the key.
 *   await this.reports.sendOnce({ key: `hourly:${ctx.dueAt}`, signal });
 * }
 */
export interface RunContext {
  /** The routine's name. */
  readonly name: string;
  /**
   * This run's number within the routine in this process: 1, 2, 3... (reinvocations and
   * `trigger()` included; for a background routine, one per attempt). Events and outcomes
   * carry it, so `run-started` and its outcome can be matched when runs overlap.
   */
  readonly runId: number;
  /**
   * When the run was due, as a wall-clock time in ms: the tick, the cluster slot (the natural
   * idempotency key for "the report for this slot"), the time `trigger()` was called, or the
   * time a background attempt started.
   */
  readonly dueAt: number;
  /** Periodic: how many runs in a row `REINVOKE_IMMEDIATELY` asked for before this one (0 for a tick). */
  readonly reinvocations: number;
  /** Background: 1 for the first start, one more for each restart. Periodic: always 1. */
  readonly attempt: number;
  /** Cluster scope, periodic: the slot this replica claimed (equal to `dueAt`). */
  readonly slot?: number;
  /**
   * Cluster scope: the fencing epoch, which only grows; pass it along with writes that must be
   * exact. Background: the lease's. Periodic: the run marker's (with a coordinator that keeps
   * run markers, as the Redis and PostgreSQL ones do).
   */
  readonly epoch?: number;
  /**
   * Cluster scope: whether this run's hold is certainly still ours, read on the monotonic clock:
   * the lease (background) or the run marker (periodic, with a coordinator that keeps run
   * markers). Call it just before a write only the holder may make: a process paused past its
   * hold (SIGSTOP, a frozen VM) sees false on waking, before its signal has aborted. True
   * everywhere else. Pair it with a fenced write carrying `epoch` (see the README).
   */
  holdsLease(): boolean;
  /**
   * Periodic: the last run of this routine that ended before this one was read (status, when
   * it finished, its error message, and the JSON value its handler returned, at most 8 KB): a
   * janitor continues from its cursor. Undefined before the first run ends. In cluster scope,
   * the last run on any replica (it comes from the engine with the run marker).
   */
  readonly previous?: PreviousRun;
}

/** What {@link RunContext.previous} gives. */
export interface PreviousRun {
  status: 'succeeded' | 'failed' | 'cancelled';
  /** Wall-clock ms. */
  finishedAt: number;
  /** A failed or cancelled run's error message. */
  error?: string;
  /** What a succeeded run's handler returned, as JSON (a copy); absent when it returned nothing. */
  value?: unknown;
}

/**
 * Where a periodic context reads its `previous` from: its routine, or in cluster scope the run
 * marker the run holds, which also answers `holdsLease()` and gives the epoch.
 */
export interface PreviousSource {
  previousRun(): PreviousRun | undefined;
  holdsLease?(): boolean;
  readonly epoch?: number;
}

/** The old name of {@link RunContext}. */
export type RoutineContext = RunContext;

/** A periodic run's context: plain fields and one shared method, cheap to make per run. */
export class PeriodicRunContext implements RunContext {
  readonly attempt = 1;

  constructor(
    readonly name: string,
    readonly runId: number,
    readonly dueAt: number,
    readonly reinvocations: number,
    readonly slot: number | undefined,
    private readonly source?: PreviousSource,
  ) {}

  holdsLease(): boolean {
    const source = this.source;
    return source?.holdsLease === undefined || source.holdsLease();
  }

  /** Cluster scope with run markers: the marker's fencing epoch. */
  get epoch(): number | undefined {
    return this.source?.epoch;
  }

  get previous(): PreviousRun | undefined {
    return this.source?.previousRun();
  }
}
