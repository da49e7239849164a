import { type EveryKeyListed, type UnlistedKeys } from '../core';
import type {
  DashboardReplicaOptions,
  RoutinesDashboardOptions,
  RoutinesDashboardSettings,
} from './interfaces/dashboard-options.interface';

/** The settings a `forRootAsync` factory may give; any other key is refused with the likely one. */
export const DASHBOARD_SETTING_NAMES = [
  'control',
  'allowUnguardedControl',
  'exposeStacks',
  'trustedOrigins',
  'refresh',
  'title',
  'replicas',
  // Who the request is for (forwarded headers, the Host check).
  'trustProxy',
  'allowedHosts',
  // Actions, guardrails and audit
  'minInterval',
  'operator',
] as const satisfies readonly (keyof RoutinesDashboardSettings)[];
type _EverySetting = EveryKeyListed<
  UnlistedKeys<RoutinesDashboardSettings, typeof DASHBOARD_SETTING_NAMES>
>;

/** The options of `forRoot`: the settings, and the path and guards. */
export const DASHBOARD_OPTION_NAMES = [
  ...DASHBOARD_SETTING_NAMES,
  'path',
  'guards',
] as const satisfies readonly (keyof RoutinesDashboardOptions)[];
type _EveryOption = EveryKeyListed<
  UnlistedKeys<RoutinesDashboardOptions, typeof DASHBOARD_OPTION_NAMES>
>;

/** The keys of `replicas`. */
export const REPLICA_OPTION_NAMES = [
  'publishEvery',
  'expireAfter',
  'pollControls',
  'forgetAfter',
] as const satisfies readonly (keyof DashboardReplicaOptions)[];
type _EveryReplicaOption = EveryKeyListed<
  UnlistedKeys<DashboardReplicaOptions, typeof REPLICA_OPTION_NAMES>
>;
