import type { Logger } from '@nestjs/common';
import { describeError, isCronSpec, type PauseInfo } from '../core';
import type { RoutinesRegistry } from '../nest/routines.registry';
import type { RegisteredRoutineInfo } from '../nest/interfaces/registered-routine.interface';
import { MESSAGES } from './controls.messages';
import type { RoutineControl, RoutineControls } from './interfaces/routine-control.interface';

/**
 * Holds this replica's cluster routines to the controls kept for them: paused stays paused, an
 * interval set stays set, a pause that just changed to resumed resumes. A control that cannot
 * be applied here is logged, and tried again at the next poll.
 */
export class ControlEnforcer {
  /** Per routine, the schedule an interval control gave it: a rebuilt routine that lost it gets it again. */
  private readonly appliedSchedules = new Map<string, string>();

  constructor(
    private readonly registry: RoutinesRegistry,
    private readonly logger: Logger,
  ) {}

  /** An interval control was set here and gave the routine `schedule`. */
  intervalApplied(name: string, schedule: string): void {
    this.appliedSchedules.set(name, schedule);
  }

  /** Another replica set an interval: it is applied again at the next enforcement. */
  intervalChanged(name: string): void {
    this.appliedSchedules.delete(name);
  }

  /** Applies `controls` to the routine `name` if it is a cluster periodic one. */
  enforce(name: string, { pause, interval }: RoutineControls, pauseChanged: boolean): void {
    const info = this.registry.get(name);
    if (info.scope !== 'cluster' || info.kind !== 'periodic') return;
    if (interval?.interval !== undefined && info.schedule !== this.appliedSchedules.get(name)) {
      this.attempt(name, 'interval', () => {
        if (isCronSpec(interval.interval) === info.schedule?.startsWith('cron')) {
          this.registry.setInterval(name, interval.interval!);
          this.appliedSchedules.set(name, this.registry.get(name).schedule ?? '');
        }
      });
    }
    if (pause?.paused || pauseChanged) this.applyPause(name, pause?.paused === true, info, pause);
  }

  /** Pauses (with the control's note) or resumes a cluster routine, when its state says it must. */
  applyPause(
    name: string,
    paused: boolean,
    { state, scope, paused: here }: RegisteredRoutineInfo,
    control?: RoutineControl,
  ): void {
    if (scope !== 'cluster') return;
    const note: PauseInfo = { note: control?.note, by: control?.operator };
    const noteChanged = here !== undefined && (here.note !== note.note || here.by !== note.by);
    if (paused && (state === 'running' || (state === 'paused' && noteChanged)))
      this.attempt(name, 'pause', () => this.registry.pause(name, note));
    if (!paused && state === 'paused')
      this.attempt(name, 'resume', () => this.registry.resume(name));
  }

  private attempt(name: string, action: string, apply: () => void): void {
    try {
      apply();
    } catch (error) {
      this.logger.warn(MESSAGES.applyFailed(action, name, describeError(error).message));
    }
  }
}
