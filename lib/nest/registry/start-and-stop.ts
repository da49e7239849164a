import type { Logger } from '@nestjs/common';
import {
  formatDuration,
  PeriodicRoutine,
  stopRoutines,
  type Clock,
  type Duration,
  type StopReport,
} from '../../core';
import { MESSAGES } from '../nest.messages';
import { buildRoutine, type BuildContext, type BuiltRoutine } from '../routine.factory';
import { isClusterOnMemory, isRemovable, scheduleOf } from './registered-routine';

/**
 * Starts every enabled routine and logs the list; periodic ones share one time origin
 * (`anchor`) so that equal intervals share timers. Returns the names started.
 */
export function startEnabled(
  entries: Iterable<BuiltRoutine>,
  anchor: number,
  logger: Logger,
): string[] {
  const enabled = [...entries].filter((entry) => entry.enabled);
  for (const { routine } of enabled) {
    if (routine instanceof PeriodicRoutine) routine.start(anchor);
    else routine.start();
  }
  if (enabled.length === 0) return [];
  const list = enabled.map(({ routine }) => `${routine.name} (${scheduleOf(routine)})`);
  logger.log(MESSAGES.started(enabled.length, list.join(', ')));
  return enabled.map(({ routine }) => routine.name);
}

/** Stops every routine concurrently and waits for them up to `timeout`, saying so in the log. */
export async function stopEvery(
  entries: Iterable<BuiltRoutine>,
  timeout: Duration,
  logger: Logger,
  clock: Clock,
): Promise<StopReport> {
  const all = [...entries].map(({ routine }) => routine);
  const inFlight = all.reduce((sum, routine) => sum + routine.info().inFlight, 0);
  const waiting = typeof timeout === 'number' ? formatDuration(timeout) : timeout;
  logger.log(MESSAGES.stopping(all.length, inFlight, waiting));
  const report = await stopRoutines(all, { timeout, logger, clock });
  if (report.timedOut.length === 0) logger.log(MESSAGES.stopped(report.durationMs));
  return report;
}

/** A routine runs once: one that stopped is built again from its declaration to start anew. */
export function rebuilt(entry: BuiltRoutine, context: BuildContext): BuiltRoutine {
  const overrides = isRemovable(entry) ? undefined : context.overrides[entry.declaration.name];
  // It was built from the same declaration and options before: it builds again.
  return buildRoutine(entry.declaration, context, overrides).built!;
}

/** Cluster routines on the in-memory coordinator are exclusive within this process only: say so. */
export function warnIfExclusiveHereOnly(
  logger: Logger,
  context: BuildContext,
  entries: readonly BuiltRoutine[],
): void {
  const names = entries
    .filter((entry) => entry.enabled && isClusterOnMemory(entry, context))
    .map((entry) => entry.routine.name);
  if (names.length > 0) logger.warn(MESSAGES.clusterOnMemory(names.join(', ')));
}
