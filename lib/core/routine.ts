/**
 * The contract every routine meets: `start` begins the
 * work (it may return at once or run for the routine's life), `stop` asks it to end and
 * resolves once it has.
 *
 * @example
 * const heartbeat: Routine = {
 *   name: 'heartbeat',
 *   start() { this.timer = setInterval(() => console.log('alive'), 1000); },
 *   stop() { clearInterval(this.timer); },
 * };
 * await monitorBackgroundRoutines(undefined, heartbeat);
 */
export interface Routine {
  readonly name?: string;
  start(): unknown;
  stop(): unknown;
}

export type RoutineKind = 'periodic' | 'background';
export type RoutineScope = 'instance' | 'cluster';

/**
 * - `idle`: created, not started. `running`: scheduled (periodic) or working (background).
 * - `paused`: periodic ticks suspended by `pause()`. `standby`: a cluster background routine
 *   waiting for the lease another replica holds. `restarting`: a background routine waiting
 *   out its restart backoff. `delayed`: a background routine waiting out its `initialDelay`.
 *   `completed`: a background routine whose `start` returned (in cluster scope, on any
 *   replica under this version: the others complete without running it).
 * - `failed`: a background routine past its restart policy. `stopping`, `stopped`.
 * - `disabled`: declared with `enabled: false`; never started, still listed and triggerable.
 */
export type RoutineState =
  | 'idle'
  | 'disabled'
  | 'running'
  | 'paused'
  | 'standby'
  | 'delayed'
  | 'restarting'
  | 'completed'
  | 'failed'
  | 'stopping'
  | 'stopped';

/** `running` appears only in `run-started` events; an outcome is one of the other four. */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/**
 * Why a tick did not run: `busy` (at its concurrency), `late` (the event loop was blocked
 * past several ticks, the wall clock jumped over it, or a cluster claim came back after its
 * window), `backoff` (after consecutive failures), `stopped` (shutdown began; a cluster slot
 * is handed back), `claimed` (another replica claimed the slot), `claim-error` (the
 * coordinator failed, timed out, or refused the slot after losing its data).
 */
export type SkipReason =
  | 'busy'
  | 'late'
  | 'backoff'
  | 'stopped'
  | 'claimed'
  | 'claim-error'
  /** Past the catch-up window, or older than the `max` most recent late due times (`catchup`). */
  | 'missed';

/**
 * What happens to a tick that falls while a run is in flight (Temporal's overlap policies):
 * `skip` it (the default), `buffer-one` (run it right after; later ones meanwhile are
 * skipped), `buffer-all` (queue them, up to `maxBuffered`), `cancel-other` (abort the run in
 * flight and run this one once it settles), or `allow` (up to `concurrency` at once).
 */
export type OverlapPolicy = 'skip' | 'buffer-one' | 'buffer-all' | 'cancel-other' | 'allow';

/** What happened to one run; `trigger()` resolves with it. */
export interface RunOutcome {
  /** The run's `RunContext.runId`; absent for a skipped tick, which is not a run. */
  runId?: number;
  status: RunStatus;
  /** When the run was due (the slot time for cluster routines); for `trigger()`, when it was asked. */
  dueAt: number;
  startedAt?: number;
  finishedAt?: number;
  durationMs?: number;
  error?: unknown;
  reason?: SkipReason;
  /**
   * The overlap policy that decided it, where one did: a tick skipped because a run was in
   * flight, a run started from the buffer, a run superseded or started by `cancel-other`.
   */
  policy?: OverlapPolicy;
  /** A run `backfill()` started, for a past due time. */
  backfill?: true;
  /** A run `catchup` started for a due time that could not run on time. */
  catchup?: true;
}

/** Who paused a routine and why (Temporal's pause note). */
export interface PauseInfo {
  /** Why: shown in the registry, events and the status page. */
  note?: string;
  /** Who: an operator's name, a ticket. */
  by?: string;
}

/** A pause as the routine keeps it: when (wall-clock ms), and the note and who, if given. */
export interface PauseStatus extends PauseInfo {
  at: number;
}

/** A periodic routine's overlap policy at work: `info().overlap`, for policies that buffer or cancel. */
export interface OverlapStatus {
  policy: OverlapPolicy;
  /** Ticks waiting for the run in flight to end. */
  waiting: number;
  /** Runs started from the buffer (or, with `cancel-other`, in place of a cancelled run). */
  buffered: number;
  /** Runs whose signal a newer tick aborted (`cancel-other`). */
  superseded: number;
  /** Ticks skipped because the buffer was full. */
  overflowed: number;
}

/** A periodic routine's catch-up at work: `info().catchup`, for routines with `catchup` (or `missed: 'once'`). */
export interface CatchUpStatus {
  /** The window in ms (Infinity: any lateness). */
  windowMs: number;
  max: number;
  /** Late due times waiting to run, in order, after the one in flight. */
  waiting: number;
  /** Late due times run (or claimed, in cluster scope) by catch-up. */
  caughtUp: number;
  /** Late due times not run: past the window or beyond `max` (also counted in `skipped`). */
  missed: number;
}

export interface RoutineCounters {
  /** Runs started (reinvocations included). */
  runs: number;
  succeeded: number;
  failures: number;
  /**
   * Runs that ended because shutdown (or, in cluster scope, a lost lease) aborted their signal.
   * Once nothing is in flight, `runs = succeeded + failures + cancelled`.
   */
  cancelled: number;
  /**
   * Ticks that were due here and not run: busy, late, backoff, stopped, claim-error. A slot
   * another replica claimed is not counted (see `cluster.claims`): standbys are not skipping.
   */
  skipped: number;
  /** Background restarts after a failure. */
  restarts: number;
}

export interface ClusterStatus {
  /** Background: whether this replica holds the lease. Periodic: whether it won the last claim. */
  role: 'leader' | 'standby' | 'unknown';
  /** The lease's fencing epoch while held. */
  epoch?: number;
  lastClaim?: { slot: number; outcome: 'won' | 'lost' | 'error'; at: number };
  /** Periodic: slot claims by outcome. Lost claims (another replica ran the slot) are not counted as skipped. */
  claims?: { won: number; lost: number; errors: number };
}

/** A snapshot of a routine, as the registry and health checks show it. */
export interface RoutineInfo {
  name: string;
  kind: RoutineKind;
  description?: string;
  scope: RoutineScope;
  state: RoutineState;
  /** Human form of the schedule: 'every 2m', 'cron 0 3 * * * (Europe/Berlin)'. */
  schedule?: string;
  intervalMs?: number;
  concurrency?: number;
  inFlight: number;
  /** Background: when the current attempt started. */
  runningSince?: number;
  nextRunAt?: number;
  lastRun?: RunOutcome;
  lastError?: { at: number; message: string };
  counters: RoutineCounters;
  cluster?: ClusterStatus;
  /** Periodic routines with `overlap` 'buffer-one', 'buffer-all' or 'cancel-other'. */
  overlap?: OverlapStatus;
  /** Periodic routines with `catchup`. */
  catchup?: CatchUpStatus;
  /** While paused: since when, and the note and who, if given. */
  paused?: PauseStatus;
}

export type RoutineEventType =
  | 'started'
  | 'run-started'
  | 'run-succeeded'
  | 'run-failed'
  | 'run-skipped'
  | 'run-cancelled'
  | 'paused'
  | 'resumed'
  | 'restarted'
  | 'failed'
  | 'completed'
  | 'lease-acquired'
  | 'lease-lost'
  | 'stopped'
  | 'job-started'
  | 'job-succeeded'
  | 'job-failed'
  | 'job-retried'
  | 'job-reset'
  | 'job-cancelled'
  | 'job-requeued'
  | 'migration-batch-succeeded'
  | 'migration-batch-failed'
  | 'migration-completed';

/** A lifecycle event; the registry's `events$` emits these. */
export interface RoutineEvent {
  type: RoutineEventType;
  routine: string;
  at: number;
  /** Run events: the run's `RunContext.runId`, so `run-started` and its outcome can be matched. */
  runId?: number;
  outcome?: RunOutcome;
  error?: unknown;
  /** For `restarted`: how long the routine waited, after the failure, before this restart. */
  delayMs?: number;
  /** Worker events (`job-*`): the row's id and attempt (`job-reset`: how many rows). */
  job?: { id?: string; attempt?: number; count?: number };
  /** `paused`: since when, why and who. */
  pause?: PauseStatus;
  /** Out-of-band migration events (`migration-*`): which one, its direction, its progress after the batch. */
  migration?: { id: string; direction: 'forward' | 'reverse'; progress?: number };
}

/**
 * Receives a routine's lifecycle events. A listener may carry an `observed` flag (read before
 * every event, so a getter works, e.g. over rxjs `Subject.observed`): while it is false,
 * routines skip building run events, which keeps the per-tick cost at zero when nobody listens.
 */
export interface RoutineEventListener {
  (event: RoutineEvent): void;
  readonly observed?: boolean;
}

/** A routine the runtime manages: the {@link Routine} contract plus what the registry reads. */
export interface ManagedRoutine extends Routine {
  readonly name: string;
  readonly kind: RoutineKind;
  readonly state: RoutineState;
  start(): void;
  stop(): Promise<void>;
  info(): RoutineInfo;
  /** Called when shutdown stops waiting for this routine: drop whatever would outlive it (timers, lease renewals). */
  abandon?(): void;
}
