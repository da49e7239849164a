import { MESSAGES } from './core.messages';
import { consoleRoutineLogger, describeError, type RoutineLogger } from './logger';
import { nameOf, startRoutine } from './monitor';
import type { Routine } from './routine';

/** Starts its routines together and stops them all concurrently; stop rejects with every failure. */
export class CombinedRoutine implements Routine {
  constructor(
    readonly name: string,
    protected readonly routines: readonly Routine[],
    protected readonly logger: RoutineLogger = consoleRoutineLogger(name),
  ) {}

  start(): void {
    for (const routine of this.routines) startRoutine(routine, this.logger);
  }

  async stop(): Promise<void> {
    const results = await Promise.allSettled(this.routines.map(async (routine) => routine.stop()));
    throwIfAnyFailed(this.name, this.routines, results);
  }
}

/** Starts in order; stops one at a time in reverse order (last in, first out). */
export class LIFOStopRoutine extends CombinedRoutine {
  override async stop(): Promise<void> {
    await stopInOrder(this.name, [...this.routines].reverse());
  }
}

/** Starts in order; stops one at a time in the same order (first in, first out). */
export class FIFOStopRoutine extends CombinedRoutine {
  override async stop(): Promise<void> {
    await stopInOrder(this.name, this.routines);
  }
}

/** A routine made of two callbacks. */
export class CallbackRoutine implements Routine {
  constructor(
    readonly name: string,
    private readonly onStart: () => unknown,
    private readonly onStop: () => unknown = () => undefined,
  ) {}

  start(): unknown {
    return this.onStart();
  }

  async stop(): Promise<void> {
    await this.onStop();
  }
}

/** A routine that does nothing; a placeholder where a routine is required. */
export class NoopRoutine implements Routine {
  constructor(readonly name = 'noop') {}
  start(): void {}
  async stop(): Promise<void> {}
}

async function stopInOrder(group: string, routines: readonly Routine[]): Promise<void> {
  const results: PromiseSettledResult<unknown>[] = [];
  for (const routine of routines) {
    try {
      results.push({ status: 'fulfilled', value: await routine.stop() });
    } catch (reason) {
      results.push({ status: 'rejected', reason });
    }
  }
  throwIfAnyFailed(group, routines, results);
}

function throwIfAnyFailed(
  group: string,
  routines: readonly Routine[],
  results: PromiseSettledResult<unknown>[],
): void {
  const failures = results.flatMap((result, i) =>
    result.status === 'rejected' ? [{ routine: nameOf(routines[i]), error: result.reason }] : [],
  );
  if (failures.length === 0) return;
  throw new AggregateError(
    failures.map((f) => f.error),
    `${group}: ` +
      failures
        .map((f) => MESSAGES.stopRoutine(f.routine, describeError(f.error).message))
        .join('; '),
  );
}
