import { formatValue, type OptionProblem } from './duration';

/** One bad option, with who declared it. */
export interface ConfigurationProblem extends OptionProblem {
  /** The routine's name, when known. */
  routine?: string;
  /** Where the routine was declared, e.g. `UploadJanitor.hardDelete` or `RoutinesModule.forRoot`. */
  source?: string;
}

/**
 * Every configuration problem found at once, one per line, each naming the routine,
 * where it was declared, the option and the value.
 */
export class RoutinesConfigurationError extends Error {
  override readonly name = 'RoutinesConfigurationError';

  constructor(readonly problems: readonly ConfigurationProblem[]) {
    super(
      `Invalid routine configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((problem) => `  - ${describeProblem(problem)}`).join('\n'),
    );
  }
}

/** Throws one error for every problem found in a routine's options, if there is any. */
export function throwIfProblems(
  problems: readonly OptionProblem[],
  routine: string,
  source: string,
): void {
  if (problems.length === 0) return;
  throw new RoutinesConfigurationError(
    problems.map((problem) => ({ ...problem, routine, source })),
  );
}

export function describeProblem(problem: ConfigurationProblem): string {
  const owner = [
    problem.source,
    problem.routine && problem.routine !== problem.source
      ? `(routine '${problem.routine}')`
      : undefined,
  ]
    .filter(Boolean)
    .join(' ');
  const what = problem.option ? `option '${problem.option}' = ${formatValue(problem.value)}` : '';
  return [owner, what].filter(Boolean).join(': ') + ` ${problem.message}`;
}

/** The reason a run's signal aborts when the run exceeds its `timeout`. */
export class RoutineTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(
    readonly routine: string,
    readonly timeoutMs: number,
  ) {
    super(`routine '${routine}' run exceeded its timeout of ${timeoutMs} ms`);
  }
}

/** The reason every signal aborts when its routine is stopped. */
export class RoutineStoppedError extends Error {
  override readonly name = 'AbortError';
  constructor(readonly routine: string) {
    super(`routine '${routine}' is stopping`);
  }
}

/** The reason a run's signal aborts when an operator cancels it (`cancelRuns()`, `registry.cancel`). */
export class RoutineCancelledError extends Error {
  override readonly name = 'AbortError';
  constructor(readonly routine: string) {
    super(`routine '${routine}' run was cancelled by an operator`);
  }
}

/** The reason a run's signal aborts when a newer tick replaces it (`overlap: 'cancel-other'`). */
export class RoutineSupersededError extends Error {
  override readonly name = 'AbortError';
  constructor(readonly routine: string) {
    super(`routine '${routine}' run was superseded by a newer tick (overlap: 'cancel-other')`);
  }
}

/** The reason a cluster routine's signal aborts when its lease is lost. */
export class LeaseLostError extends Error {
  override readonly name = 'AbortError';
  constructor(
    readonly routine: string,
    cause?: unknown,
  ) {
    super(`routine '${routine}' lost its cluster lease`, { cause });
  }
}

/**
 * The abort reason of a cluster periodic run whose run marker could not be renewed before it
 * expired: another replica may start a run of the routine now, so this one is stopped.
 */
export class RunMarkerLostError extends Error {
  override readonly name = 'AbortError';
  constructor(readonly routine: string) {
    super(`routine '${routine}' lost its run marker: another replica may run it now`);
  }
}

/** A call to the coordinator's engine that did not answer within its deadline. */
export class CoordinatorTimeoutError extends Error {
  override readonly name = 'CoordinatorTimeoutError';
  constructor(
    readonly call: string,
    readonly timeoutMs: number,
  ) {
    super(`${call} did not answer within ${Math.round(timeoutMs)} ms`);
  }
}

/**
 * Whether a thrown value is an abort (an `AbortError`, as `signal.throwIfAborted()` and
 * `fetch` throw, or a DOMException of that name). False, never a throw, for values that
 * throw when inspected.
 */
export function isAbortError(error: unknown): boolean {
  try {
    return (
      (error instanceof Error ||
        (typeof DOMException !== 'undefined' && error instanceof DOMException)) &&
      error.name === 'AbortError'
    );
  } catch {
    return false;
  }
}
