export { RoutinesDashboardModule } from './routines-dashboard.module';
export { RoutinesCluster } from './routines-cluster';
export { DashboardAudit, type AuditedAction } from './dashboard-audit';
export type { AuditEntry, AuditQuery, AuditTrail } from '../cluster/ports';
export type { ReplicasView } from './routines-cluster';
export type { DashboardRuns, DashboardRunStats } from './history.controller';
export type {
  ClusterRunner,
  DashboardList,
  DashboardReplica,
  DashboardRoutine,
  DashboardRoutineDetail,
  DashboardSummary,
  DashboardWorker,
  RoutineOnReplica,
} from './dashboard-model';
export type { ReplicaRoutine, ReplicaSnapshot } from './replica-snapshot';
export type { ControlResult, ReplicaIdentity, RoutineControl, RoutineControls } from '../controls';
export type {
  DashboardGuard,
  DashboardReplicaOptions,
  RoutinesDashboardAsyncOptions,
  RoutinesDashboardOptions,
  RoutinesDashboardSettings,
} from './interfaces/dashboard-options.interface';
