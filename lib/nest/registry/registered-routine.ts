// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured choices".
import { PeriodicRoutine, type Clock, type ManagedRoutine, type RoutineInfo } from '../../core';
import { healthOf, runStats } from '../../observability';
import type { RegisteredRoutineInfo } from '../interfaces/registered-routine.interface';
import type { BuildContext, BuiltRoutine } from '../routine.factory';
import { serializeOutcome } from './serialized-outcome';

/** The class name a routine added at run time is declared under. */
export const ADDED = 'RoutinesRegistry.add';

/** A routine's own snapshot, `disabled` where it was declared so and never started. */
export function snapshotOf({ routine, enabled }: BuiltRoutine): RoutineInfo {
  const info = routine.info();
  if (!enabled && info.state === 'idle') info.state = 'disabled';
  return info;
}

/** A routine as the registry lists it: its snapshot, where it was declared, stats and health. */
export function registeredInfo(entry: BuiltRoutine, clock: Clock): RegisteredRoutineInfo {
  const info = snapshotOf(entry);
  const stats = entry.history && runStats(entry.history.records(clock));
  const described: RegisteredRoutineInfo = {
    ...info,
    lastRun: info.lastRun && serializeOutcome(info.lastRun),
    enabled: entry.enabled,
    source: entry.declaration.source,
    removable: isRemovable(entry),
    health: healthOf(entry.routine, info, stats?.durationMs?.max, clock),
  };
  if (stats) described.stats = stats;
  return described;
}

/** Routines added with `add()` may be removed; decorated ones stay. */
export function isRemovable({ declaration }: BuiltRoutine): boolean {
  return declaration.methodName === undefined && declaration.source.startsWith(ADDED);
}

/**
 * A cluster routine that is exclusive within this process only: worth a warning. (`scope`
 * rather than info(): info() builds a whole snapshot, per routine, at bootstrap.)
 */
export function isClusterOnMemory({ routine }: BuiltRoutine, context: BuildContext): boolean {
  return (
    (routine as { scope?: string }).scope === 'cluster' && context.coordinator.kind === 'memory'
  );
}

/** A routine's schedule for the startup line: 'every 1m', 'every 1m, cluster', 'background'. */
export function scheduleOf(routine: ManagedRoutine): string {
  // Not info(): that builds a whole snapshot, for every routine at startup (measured).
  const schedule = routine instanceof PeriodicRoutine ? routine.schedule : 'background';
  return (routine as { scope?: string }).scope === 'cluster' ? `${schedule}, cluster` : schedule;
}
