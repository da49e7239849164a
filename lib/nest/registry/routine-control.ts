import {
  isCronSpec,
  type IntervalSpec,
  type ManagedRoutine,
  type PauseInfo,
  type PeriodicRoutine,
  type RoutineState,
} from '../../core';
import { MESSAGES } from '../nest.messages';
import type { BuiltRoutine } from '../routine.factory';
import { RoutineActionError } from '../routines.errors';
import { checkPauseInfo } from './pause-info';
import { isRemovable } from './registered-routine';
import { looksLikeCron } from '../../core/cron-looking';

/** States a routine has left for good: `start(name)` builds it again. */
export const RESTARTABLE: ReadonlySet<RoutineState> = new Set([
  'stopping',
  'stopped',
  'failed',
  'completed',
]);

/** `pause(name)`: a paused routine only gets the new note; one not ticking cannot pause. */
export function pauseRoutine(routine: PeriodicRoutine, name: string, options?: PauseInfo): void {
  const info = checkPauseInfo(name, options);
  if (routine.state === 'paused') return routine.pause(info);
  mustBeTicking(routine, 'pause');
  routine.pause(info);
}

/** `resume(name)`: resuming a running routine does nothing; one not ticking cannot resume. */
export function resumeRoutine(routine: PeriodicRoutine): void {
  if (routine.state === 'running') return;
  mustBeTicking(routine, 'resume');
  routine.resume();
}

/** `setInterval(name)`: an interval for an interval routine, a cron expression for a cron one. */
export function setRoutineInterval(
  routine: PeriodicRoutine,
  name: string,
  interval: IntervalSpec,
): void {
  if (routine.onCron !== isCronSpec(interval)) {
    const reason =
      routine.onCron && typeof interval === 'string' && looksLikeCron(interval)
        ? MESSAGES.cronAsDuration(name, interval)
        : MESSAGES.otherScheduleForm(name, routine.onCron);
    throw new RoutineActionError(name, 'setInterval', reason);
  }
  routine.setInterval(interval);
}

function mustBeTicking(routine: PeriodicRoutine, action: string): void {
  if (routine.state === 'running' || routine.state === 'paused') return;
  throw new RoutineActionError(
    routine.name,
    action,
    MESSAGES.notTicking(routine.name, routine.state),
  );
}

/** `remove(name)` applies to routines added with `add()`; a decorated one stays. */
export function mustBeRemovable(entry: BuiltRoutine, name: string): BuiltRoutine {
  if (isRemovable(entry)) return entry;
  throw new RoutineActionError(
    name,
    'remove',
    MESSAGES.notRemovable(name, entry.declaration.source),
  );
}

/** `resetCompletion(name)` applies to cluster background routines: only those record one. */
export function mustBeClusterBackground(routine: ManagedRoutine, name: string): void {
  if (routine.kind !== 'background' || (routine as { scope?: string }).scope !== 'cluster') {
    throw new RoutineActionError(name, 'resetCompletion', MESSAGES.notClusterBackground(name));
  }
}
