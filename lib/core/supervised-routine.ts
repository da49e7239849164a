import { systemClock, type Clock, type TimerHandle } from './clock';
import type { Coordinator } from '../cluster/ports/coordinator';
import { checkDuration, formatDuration, type Duration, type OptionProblem } from './duration';
import { isAbortError, RoutineStoppedError, throwIfProblems } from './errors';
import { InMemoryCoordinator } from '../cluster/in-memory-coordinator';
import { LeaseKeeper, validateLeaseOptions, type LeaseOptions } from '../cluster/lease-keeper';
import { SUPERVISED_ROUTINE_OPTION_NAMES } from './option-names';
import { unknownOptionProblems } from './unknown-options';
import { MESSAGES } from './core.messages';
import { consoleRoutineLogger, describeError, reportError, type RoutineLogger } from './logger';
import { RunLedger, type LedgerRun, type RunRecorder } from './run-ledger';
import { RestartTracker, validateRestartPolicy, type RestartPolicy } from './restart-policy';
import {
  type ClusterStatus,
  type ManagedRoutine,
  type RoutineEventListener,
  type RoutineEventType,
  type RoutineInfo,
  type RoutineScope,
  type RoutineState,
} from './routine';
import { emitEvent } from './routine-events';
import type { RunContext } from './run-context';
import { callAndReport, invoke } from './safe-call';
import { isThenable } from './thenable';

/**
 * A long-running piece of work with a start and a stop. `start` runs until `signal`
 * aborts (or until `stop` is called); if it rejects, it is restarted under the restart policy.
 */
export interface BackgroundHandler {
  start(signal: AbortSignal, context: RunContext): unknown;
  /** Optional: asks a `start` that does not watch its signal to return. */
  stop?(): unknown;
}

export type BackgroundFunction = (signal: AbortSignal, context: RunContext) => unknown;

/** What a background routine is and how it is supervised; shared by `@BackgroundRoutine` and `SupervisedRoutine`. */
export interface BackgroundOptions {
  name?: string;
  description?: string;
  /** Restarts after a failure; `false` marks the routine failed on its first failure. */
  restart?: RestartPolicy | false;
  /** 'cluster': runs on one replica at a time, under a lease. Default: 'instance'. */
  scope?: RoutineScope;
  /** Cluster scope: the lease's time to live and how often it is renewed. */
  lease?: LeaseOptions;
  /**
   * Wait this long after `start()` before the first attempt (state `delayed` meanwhile; a stop
   * during the wait cancels it). With a `start` that returns when done, this is a one-shot
   * delayed task, what `@Timeout` is used for.
   */
  initialDelay?: Duration;
}

export interface SupervisedRoutineOptions extends BackgroundOptions {
  /**
   * Cluster scope: the app's version (a deploy id, a git sha). A cluster routine whose
   * `start` returned is recorded as completed under it, and no replica runs it again under
   * the same version. Default: '' (completed once, until the record is reset).
   */
  version?: string;
  clock?: Clock;
  logger?: RoutineLogger;
  coordinator?: Coordinator;
  onEvent?: RoutineEventListener;
  random?: () => number;
  /** @internal Where each attempt is recorded: the Nest module's run history and metrics. */
  recorder?: RunRecorder;
}

/**
 * Runs a long-running handler and restarts it with backoff when it fails; past its restart
 * policy it is marked `failed` and the rest of the app keeps running. In cluster scope it
 * first waits in `standby` for the lease, and its signal aborts the moment the lease is lost.
 *
 * @example
 * const consumer = new SupervisedRoutine(async (signal) => {
 *   while (!signal.aborted) await queue.work(signal);
 * }, { name: 'queue-consumer', restart: { maxRestarts: 3, within: '1m' } });
 * await monitorBackgroundRoutines(undefined, consumer);
 */
export class SupervisedRoutine implements ManagedRoutine {
  readonly kind = 'background' as const;
  readonly name: string;
  readonly description: string | undefined;
  readonly scope: RoutineScope;

  private readonly handler: BackgroundHandler;
  private readonly clock: Clock;
  private readonly logger: RoutineLogger;
  private readonly onEvent: RoutineEventListener | undefined;
  private readonly restarts: RestartTracker;
  private readonly leaseKeeper: LeaseKeeper | undefined;

  private currentState: RoutineState = 'idle';
  private controller: AbortController | undefined;
  private attempt: Promise<void> | undefined;
  /** The wait in progress: the initial delay, or the backoff before a restart. */
  private waitTimer: TimerHandle | undefined;
  private readonly ledger: RunLedger;
  /** The current attempt (`launch`). */
  private current: LedgerRun | undefined;
  /** Attempts started so far: the last one's `runId`. */
  private lastRunId = 0;
  private restartCount = 0;
  private stopping: Promise<void> | undefined;
  private readonly initialDelayMs: number;
  /** While `delayed`: the wall time the first attempt is due. */
  private delayedUntil: number | undefined;

  constructor(
    handler: BackgroundHandler | BackgroundFunction,
    options: SupervisedRoutineOptions = {},
  ) {
    this.handler = typeof handler === 'function' ? { start: handler } : handler;
    this.name =
      options.name ?? (typeof handler === 'function' && handler.name ? handler.name : 'background');
    const problems = [
      ...unknownOptionProblems(options, SUPERVISED_ROUTINE_OPTION_NAMES),
      ...validateBackgroundOptions(options),
    ];
    if (typeof this.handler.start !== 'function') {
      problems.push({ option: 'handler', value: handler, message: MESSAGES.backgroundHandler });
    }
    throwIfProblems(problems, this.name, `SupervisedRoutine '${this.name}'`);
    this.description = options.description;
    this.scope = options.scope ?? 'instance';
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? consoleRoutineLogger(this.name);
    this.ledger = new RunLedger(options.recorder, (error) =>
      reportError(this.logger, MESSAGES.recorderFailed, error),
    );
    this.onEvent = options.onEvent;
    this.restarts = new RestartTracker(options.restart, options.random);
    // Validated above: parsing again cannot fail.
    this.initialDelayMs =
      checkDuration([], 'initialDelay', options.initialDelay, { allowZero: true }) ?? 0;
    if (this.scope === 'cluster') {
      this.leaseKeeper = new LeaseKeeper({
        routine: this.name,
        coordinator: options.coordinator ?? new InMemoryCoordinator(this.clock),
        clock: this.clock,
        logger: this.logger,
        options: options.lease,
        version: options.version,
        onAcquired: () => this.onLeaseAcquired(),
        onCompleted: () => this.onCompletedElsewhere(),
        onLost: (error) => this.onLeaseLost(error),
      });
    }
  }

  get state(): RoutineState {
    return this.currentState;
  }

  /** Failed attempts since the last one that returned. */
  get consecutiveFailures(): number {
    return this.ledger.consecutiveFailures;
  }

  start(): void {
    if (this.currentState !== 'idle') return;
    this.emit('started');
    if (this.initialDelayMs > 0) {
      this.currentState = 'delayed';
      const due = this.clock.now() + this.initialDelayMs;
      this.delayedUntil = this.clock.wallOf(due);
      this.waitTimer = this.clock.setTimer(due, () => this.begin());
    } else {
      this.begin();
    }
  }

  private begin(): void {
    this.waitTimer = undefined;
    this.delayedUntil = undefined;
    if (this.leaseKeeper) {
      this.currentState = 'standby';
      this.leaseKeeper.start();
    } else {
      this.launch();
    }
  }

  /**
   * Aborts the signal, calls the handler's `stop`, waits for `start` to return, and releases
   * the lease in cluster scope. Safe to call more than once.
   */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    const wasLaunched = this.attempt !== undefined;
    this.currentState = 'stopping';
    if (this.waitTimer) this.clock.clearTimer(this.waitTimer);
    this.waitTimer = undefined;
    this.leaseKeeper?.stopAcquiring();
    this.controller?.abort(new RoutineStoppedError(this.name));
    this.stopping = (async () => {
      if (wasLaunched) await this.callStop();
      await this.attempt;
      // Released only once the work has returned: a release while it runs would let another replica overlap it.
      await this.leaseKeeper?.stop();
      this.currentState = 'stopped';
      this.emit('stopped');
    })();
    return this.stopping;
  }

  /**
   * Called when shutdown gave up waiting for this routine: stop renewing the lease without
   * releasing it, so no timer stays behind and no other replica starts before the ttl passes.
   */
  abandon(): void {
    this.leaseKeeper?.abandon();
  }

  info(): RoutineInfo {
    return {
      name: this.name,
      kind: this.kind,
      description: this.description,
      scope: this.scope,
      state: this.currentState,
      inFlight: this.currentState === 'running' ? 1 : 0,
      nextRunAt: this.delayedUntil,
      runningSince:
        this.currentState === 'running' && this.current !== undefined
          ? this.clock.wallOf(this.current.startedAt)
          : undefined,
      lastError: this.ledger.lastError,
      // The last attempt that ended (failed, or returned); the current one is `runningSince`.
      lastRun: this.ledger.lastOutcome(this.clock),
      counters: this.ledger.counters(this.lastRunId, this.restartCount),
      cluster: this.leaseKeeper ? this.clusterStatus() : undefined,
    };
  }

  private clusterStatus(): ClusterStatus {
    const lease = this.leaseKeeper?.lease;
    return lease ? { role: 'leader', epoch: lease.epoch } : { role: 'standby' };
  }

  private launch(): void {
    this.currentState = 'running';
    const startedAt = this.clock.now();
    const keeper = this.leaseKeeper;
    const run: LedgerRun = {
      id: ++this.lastRunId,
      due: startedAt,
      dueOnWall: false,
      startedAt,
      epoch: keeper?.lease?.epoch,
    };
    this.current = run;
    const controller = new AbortController();
    this.controller = controller;
    const context: RunContext = {
      name: this.name,
      runId: run.id,
      dueAt: this.clock.wallOf(startedAt),
      attempt: run.id, // every start is an attempt: the first, then one per restart
      reinvocations: 0,
      epoch: keeper?.lease?.epoch,
      holdsLease: keeper
        ? () => keeper.holds() && this.controller === controller && !controller.signal.aborted
        : () => true,
    };
    let returnedAtOnce = false;
    this.attempt = invoke(() => {
      const returned = this.handler.start(controller.signal, context);
      returnedAtOnce = !isThenable(returned);
      return returned;
    }).then(
      () => this.onReturned(controller, run),
      (error) => this.onRejected(controller, run, error),
    );
    if (run.id === 1 && returnedAtOnce && typeof this.handler.stop !== 'function') {
      // Nothing can stop what such a start left running (a timer, a listener), and the
      // routine is already over: almost always a loop written without await.
      this.logger.warn(MESSAGES.returnedAtOnce);
    }
  }

  private onReturned(controller: AbortController, run: LedgerRun): void {
    if (controller !== this.controller || this.stopping || controller.signal.aborted) {
      // It returned because shutdown or a lost lease aborted it.
      this.ledger.ended(this.clock, 'cancelled', run, this.clock.now(), undefined);
      return;
    }
    this.ledger.ended(this.clock, 'succeeded', run, this.clock.now(), undefined);
    this.currentState = 'completed';
    this.logger.log(MESSAGES.completed);
    this.emit('completed');
    // Cluster: recorded in the coordinator, so the standbys complete without running it.
    void this.leaseKeeper?.complete();
  }

  /** A standby learned that another replica completed the routine under this version. */
  private onCompletedElsewhere(): void {
    if (this.currentState !== 'standby') return;
    this.currentState = 'completed';
    this.logger.log(MESSAGES.completedElsewhere);
    this.emit('completed');
  }

  private onRejected(controller: AbortController, run: LedgerRun, error: unknown): void {
    const { message } = describeError(error);
    const now = this.clock.now();
    if (this.stopping || (controller.signal.aborted && controller !== this.controller)) {
      this.ledger.ended(this.clock, 'cancelled', run, now, error);
      if (!isAbortError(error)) this.logger.warn(MESSAGES.failedWhileStopping(message));
      return;
    }
    if (controller.signal.aborted) {
      // The lease was lost and the signal aborted: whatever the run threw as it wound down (an
      // AbortError, a fenced write refused) is not a failure; the keeper takes the lease again.
      this.ledger.ended(this.clock, 'cancelled', run, now, error);
      if (!isAbortError(error)) this.logger.warn(MESSAGES.failedAfterLeaseLost(message));
      return;
    }
    this.ledger.ended(this.clock, 'failed', run, now, error);
    reportError(this.logger, MESSAGES.attemptFailed, error);
    const delay = this.restarts.onFailure(now);
    if (delay === undefined) {
      this.currentState = 'failed';
      this.logger.error(MESSAGES.gaveUp(this.restarts.recentFailures(now)));
      this.emit('failed', error);
      void this.leaseKeeper?.stop();
      return;
    }
    this.currentState = 'restarting';
    this.ledger.restartScheduled(delay);
    this.logger.warn(MESSAGES.restartingIn(formatDuration(delay)));
    this.waitTimer = this.clock.setTimer(now + delay, () => this.restart(error, delay));
  }

  /** The restart delay has passed: start again (or wait for the lease), and say so. */
  private restart(error: unknown, delayMs: number): void {
    this.waitTimer = undefined;
    if (this.currentState !== 'restarting') return;
    this.restartCount++;
    this.emit('restarted', error, delayMs);
    if (this.leaseKeeper && !this.leaseKeeper.lease) this.currentState = 'standby';
    else this.launch();
  }

  private onLeaseAcquired(): void {
    this.emit('lease-acquired');
    // A run aborted by an earlier lease loss may still be returning: never overlap it.
    void (this.attempt ?? Promise.resolve()).then(() => {
      if (this.currentState === 'standby' && this.leaseKeeper?.lease) this.launch();
    });
  }

  private onLeaseLost(error: unknown): void {
    this.emit('lease-lost', error);
    if (this.currentState !== 'running' && this.currentState !== 'restarting') return;
    if (this.waitTimer) this.clock.clearTimer(this.waitTimer);
    this.waitTimer = undefined;
    this.currentState = 'standby';
    this.controller?.abort(error);
    void this.callStop();
  }

  private async callStop(): Promise<void> {
    const handler = this.handler;
    if (typeof handler.stop !== 'function') return;
    await callAndReport(() => handler.stop!(), this.logger, MESSAGES.stopFailed);
  }

  private emit(type: RoutineEventType, error?: unknown, delayMs?: number): void {
    emitEvent(this.onEvent, this.logger, {
      type,
      routine: this.name,
      at: this.clock.wallNow(),
      error,
      delayMs,
    });
  }
}

export function validateBackgroundOptions(options: BackgroundOptions): OptionProblem[] {
  const problems = validateRestartPolicy(options.restart);
  if (options.scope !== undefined && options.scope !== 'instance' && options.scope !== 'cluster') {
    problems.push({
      option: 'scope',
      value: options.scope,
      message: `must be 'instance' or 'cluster'`,
    });
  }
  problems.push(...validateLeaseOptions(options.lease));
  checkDuration(problems, 'initialDelay', options.initialDelay, { allowZero: true });
  return problems;
}
