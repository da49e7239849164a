import type { IntervalSpec } from '../../core';
import type { ReplicaIdentity } from './replica-identity.interface';

/** A control an operator set on a routine, kept by the coordinator for every replica. */
export interface RoutineControl {
  /** `pause`: `paused` says which way; `interval`: the schedule set. */
  paused?: boolean;
  interval?: IntervalSpec;
  /** When it was set (wall-clock ms) and from which replica. */
  at: number;
  by: string;
  /** `pause`: why, and who (an operator's name), if given. */
  note?: string;
  operator?: string;
}

/** A routine's controls: the pause and the interval set on it, if any. */
export interface RoutineControls {
  pause?: RoutineControl;
  interval?: RoutineControl;
}

/** What a control action did, and where. */
export interface ControlResult {
  routine: string;
  action:
    | 'trigger'
    | 'pause'
    | 'resume'
    | 'interval'
    | 'cancel'
    | 'backfill'
    | 'start'
    | 'stop'
    | 'restart';
  /**
   * `cluster`: kept by the coordinator and applied by every replica (a cluster routine);
   * `replica`: applied on `replica` only (an instance routine, or no shared coordinator).
   */
  appliesTo: 'cluster' | 'replica';
  replica: ReplicaIdentity;
  /** The routine's state here once applied. */
  state: string;
  /** `interval`: the schedule before (as `setInterval` takes it; an interval in ms). */
  from?: unknown;
  /** `interval`: the schedule set. */
  to?: unknown;
}
