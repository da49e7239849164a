export { RoutinesDashboardModule } from './routines-dashboard.module';
export { RoutinesCluster } from './routines-cluster';
export type {
  ControlResult,
  ReplicasView,
  RoutineControl,
  RoutineControls,
} from './routines-cluster';
export type {
  ClusterRunner,
  DashboardList,
  DashboardRoutine,
  DashboardRoutineDetail,
  DashboardSummary,
  RoutineOnReplica,
} from './dashboard-model';
export type { ReplicaIdentity, ReplicaRoutine, ReplicaSnapshot } from './replica-snapshot';
export type {
  DashboardGuard,
  DashboardReplicaOptions,
  RoutinesDashboardAsyncOptions,
  RoutinesDashboardOptions,
  RoutinesDashboardSettings,
} from './interfaces/dashboard-options.interface';
