// Operator controls kept by the coordinator for every replica (pause, resume, interval).
// Internal: the dashboard mounts them and re-exports their public types.
export { ClusterControls } from './cluster-controls';
export { CONTROLS_SETTINGS, type ControlsSettings } from './controls.settings';
export { coordinatorCall, RepeatedCall } from './coordinator-calls';
export { scheduleSpecOf } from './schedule-spec';
export type { StoredControls } from './stored-controls';
export { ThisReplica } from './this-replica';
export type { ReplicaIdentity } from './interfaces/replica-identity.interface';
export type {
  ControlResult,
  RoutineControl,
  RoutineControls,
} from './interfaces/routine-control.interface';
