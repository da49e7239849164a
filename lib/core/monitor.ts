import { systemClock, type Clock, type TimerHandle } from './clock';
import { MESSAGES } from './core.messages';
import { formatDuration, toMilliseconds, type Duration } from './duration';
import { consoleRoutineLogger, describeError, reportError, type RoutineLogger } from './logger';
import { callAndReport } from './safe-call';
import type { Routine } from './routine';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

export interface MonitorOptions {
  /** Stops everything when it aborts. Without it the monitor listens for SIGINT, SIGTERM and SIGHUP. */
  signal?: AbortSignal;
  /** Longest wait for the routines to stop; those still running are then logged by name. Default: none. */
  timeout?: Duration;
  logger?: RoutineLogger;
  /** Where the timeout is measured: a test's `ManualClock`. Default: the system clock. */
  clock?: Clock;
}

/** The outcome of stopping a set of routines under a deadline. */
export interface StopReport {
  /** Names of routines that had not stopped by the deadline. */
  timedOut: string[];
  /** Routines whose stop threw or rejected. */
  errors: Array<{ routine: string; error: unknown }>;
  durationMs: number;
}

/**
 * Starts every routine, waits for `signal` to abort (or for SIGINT/SIGTERM/SIGHUP when no
 * signal is given), then stops them all concurrently. Settles once all have stopped; rejects
 * with an AggregateError naming each routine whose stop failed. After the first process
 * signal, a second one exits at once (a person pressing Ctrl-C twice wants out).
 *
 * @example
 * const controller = new AbortController();
 * const done = monitorBackgroundRoutines(controller.signal, janitor, consumer);
 * // ... later
 * controller.abort();
 * await done;
 */
export async function monitorBackgroundRoutines(
  signalOrOptions: AbortSignal | MonitorOptions | undefined | null,
  ...routines: Routine[]
): Promise<void> {
  const options: MonitorOptions = isAbortSignal(signalOrOptions)
    ? { signal: signalOrOptions }
    : (signalOrOptions ?? {});
  const logger = options.logger ?? consoleRoutineLogger('monitor');
  for (const routine of routines) startRoutine(routine, logger);
  const received = await waitForStop(options.signal);
  if (received) logger.log(MESSAGES.signalReceived(received, routines.length));
  const report = await stopRoutines(routines, {
    timeout: options.timeout,
    logger,
    clock: options.clock,
  }).finally(() => {
    if (received) for (const s of SIGNALS) process.removeListener(s, exitAtOnce);
  });
  if (report.errors.length > 0) {
    throw new AggregateError(
      report.errors.map(({ error }) => error),
      report.errors
        .map(({ routine, error }) => MESSAGES.stopRoutine(routine, describeError(error).message))
        .join('; '),
    );
  }
}

/**
 * Stops routines concurrently and waits for them up to `timeout`; never rejects. Routines
 * still running at the deadline are logged by name and left behind.
 */
export async function stopRoutines(
  routines: readonly Routine[],
  {
    timeout,
    logger = consoleRoutineLogger('routines'),
    clock = systemClock,
  }: { timeout?: Duration; logger?: RoutineLogger; clock?: Clock } = {},
): Promise<StopReport> {
  const startedAt = clock.now();
  const pending = new Set(routines);
  const errors: StopReport['errors'] = [];
  const all = Promise.all(
    routines.map(async (routine) => {
      try {
        await routine.stop();
      } catch (error) {
        errors.push({ routine: nameOf(routine), error });
        reportError(logger, MESSAGES.stopRoutineFailed(nameOf(routine)), error);
      } finally {
        pending.delete(routine);
      }
    }),
  );
  let deadline: TimerHandle | undefined;
  const timeoutMs = timeout === undefined ? undefined : toMilliseconds(timeout, 'shutdownTimeout');
  const expired = new Promise<boolean>((resolve) => {
    if (timeoutMs !== undefined) {
      deadline = clock.setTimer(clock.now() + timeoutMs, () => resolve(true));
    }
  });
  const timedOutFlag = await Promise.race([all.then(() => false), expired]);
  if (deadline !== undefined) clock.clearTimer(deadline);
  const left = timedOutFlag ? [...pending] : [];
  for (const routine of left) (routine as { abandon?: () => void }).abandon?.();
  const timedOut = left.map(nameOf);
  if (timedOut.length > 0) {
    logger.error(MESSAGES.didNotStop(formatDuration(timeoutMs as number), timedOut));
  }
  return { timedOut, errors, durationMs: Math.round(clock.now() - startedAt) };
}

/** Starts a routine whose `start` may block for its life; a failure is logged, never thrown. */
export function startRoutine(routine: Routine, logger: RoutineLogger): void {
  void callAndReport(() => routine.start(), logger, MESSAGES.routineFailed(nameOf(routine)));
}

export function nameOf(routine: Routine): string {
  return routine.name ?? routine.constructor?.name ?? 'routine';
}

function waitForStop(signal: AbortSignal | undefined): Promise<string | undefined> {
  if (signal) {
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) =>
      signal.addEventListener('abort', () => resolve(undefined), { once: true }),
    );
  }
  return new Promise((resolve) => {
    const onSignal = (name: NodeJS.Signals) => {
      for (const s of SIGNALS) process.off(s, onSignal);
      // A second signal while stopping means "now": exit as the signal would have.
      for (const s of SIGNALS) process.once(s, exitAtOnce);
      resolve(name);
    };
    for (const s of SIGNALS) process.on(s, onSignal);
  });
}

function exitAtOnce(signal: NodeJS.Signals): void {
  process.exit(128 + (SIGNAL_NUMBERS[signal] ?? 0));
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return typeof AbortSignal !== 'undefined' && value instanceof AbortSignal;
}
