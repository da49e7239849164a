import {
  parseDuration,
  RoutinesConfigurationError,
  type ConfigurationProblem,
  type Duration,
  unknownOptionProblems,
} from '../core';
import {
  DASHBOARD_OPTION_NAMES,
  DASHBOARD_SETTING_NAMES,
  REPLICA_OPTION_NAMES,
} from './dashboard-option-names';
import type {
  DashboardGuard,
  RoutinesDashboardSettings,
} from './interfaces/dashboard-options.interface';
import type { ControlsSettings } from '../controls';
import { MESSAGES } from './dashboard.messages';
import { operatorFromUser } from './operator';

export const DASHBOARD_SETTINGS = Symbol('nestjs-routines:dashboard-settings');

/** The settings once checked, durations in ms. */
export interface ResolvedDashboardSettings {
  path: string;
  control: boolean;
  exposeStacks: boolean;
  trustedOrigins: string[];
  refreshMs: number;
  title: string;
  replicas: { publishEveryMs: number; forgetAfterMs: number; pollControlsMs: number } | false;
  /** Whether `X-Forwarded-Host` is believed. */
  trustProxy: boolean;
  /** Host patterns, lower case: 'name', 'name:port', '.domain'. */
  allowedHosts: string[];
  /** Whether control requests have their Host checked: control with no guard, or `allowedHosts` given. */
  checkHost: boolean;
  /** The shortest interval or cron gap a control accepts; 0: no check. */
  minIntervalMs: number;
  /** Who did an action, from its request. */
  operator: (request: unknown) => string | undefined;
}

/** What the cluster-wide controls take from the dashboard's settings: `replicas: false` keeps none. */
export function controlsSettingsOf(settings: ResolvedDashboardSettings): ControlsSettings {
  return settings.replicas ? { pollEveryMs: settings.replicas.pollControlsMs } : false;
}

const SOURCE = 'RoutinesDashboardModule';
const PATH = /^\/?[A-Za-z0-9\-_.~/]*$/;

/** Reads the options, noting every bad one (all are reported at once). */
class SettingsReader {
  readonly problems: ConfigurationProblem[] = [];

  constructor(readonly options: RoutinesDashboardSettings) {}

  problem(option: string, value: unknown, message: string): void {
    this.problems.push({ source: SOURCE, option, value, message });
  }

  flag(option: keyof RoutinesDashboardSettings): boolean {
    const value = this.options[option];
    if (value === undefined) return false;
    if (typeof value !== 'boolean') this.problem(option, value, MESSAGES.notBoolean);
    return value === true;
  }

  duration(
    option: string,
    value: Duration | undefined,
    fallback: number,
    allowZero = false,
  ): number {
    if (value === undefined) return fallback;
    const parsed = parseDuration(value, { allowZero });
    if ('ms' in parsed) return parsed.ms;
    this.problem(option, value, parsed.problem);
    return fallback;
  }
}

/** Every bad option at once, as `RoutinesModule` reports its own. */
export function resolveSettings(
  path: unknown,
  guards: readonly unknown[] | undefined,
  settings: RoutinesDashboardSettings | undefined,
  /** The settings come from a `forRootAsync` factory (where path and guards are not given). */
  fromFactory = false,
): ResolvedDashboardSettings {
  const reader = new SettingsReader(settings ?? {});
  const { options } = reader;
  unknownKeys(reader, fromFactory);
  const resolvedPath = path === undefined ? '/routines' : path;
  if (typeof resolvedPath !== 'string' || !PATH.test(resolvedPath)) {
    reader.problem('path', path, MESSAGES.notPath);
  }
  const control = resolveControl(reader, guards ?? []);
  const origins = options.trustedOrigins ?? [];
  if (!Array.isArray(origins) || origins.some((origin) => typeof origin !== 'string')) {
    reader.problem('trustedOrigins', origins, MESSAGES.notStringArray);
  }
  if (options.title !== undefined && typeof options.title !== 'string') {
    reader.problem('title', options.title, MESSAGES.notString);
  }
  const replicas = resolveReplicas(reader);
  const hosts = resolveHosts(reader, control && (guards ?? []).length === 0);
  const resolved: ResolvedDashboardSettings = {
    path: typeof resolvedPath === 'string' ? normalizePath(resolvedPath) : '/routines',
    control,
    exposeStacks: reader.flag('exposeStacks'),
    trustedOrigins: Array.isArray(origins)
      ? origins.map((origin) => String(origin).replace(/\/+$/, ''))
      : [],
    refreshMs: reader.duration('refresh', options.refresh, 5000, true),
    title: typeof options.title === 'string' ? options.title : 'Routines',
    replicas,
    ...hosts,
    minIntervalMs: resolveMinInterval(reader),
    operator: resolveOperator(reader),
  };
  if (reader.problems.length > 0) throw new RoutinesConfigurationError(reader.problems);
  return resolved;
}

/** Keys the dashboard does not know (a typo would be ignored): refused, with the likely one. */
function unknownKeys(reader: SettingsReader, fromFactory: boolean): void {
  const { options } = reader;
  if (typeof options !== 'object' || options === null) return;
  const own: Record<string, unknown> = { ...options };
  if (fromFactory) {
    for (const key of ['path', 'guards'] as const) {
      if (key in own) reader.problem(key, own[key], MESSAGES.notFromFactory);
      delete own[key];
    }
  }
  const known = fromFactory ? DASHBOARD_SETTING_NAMES : DASHBOARD_OPTION_NAMES;
  for (const problem of unknownOptionProblems(own, known, 'a dashboard option')) {
    reader.problem(problem.option, problem.value, problem.message);
  }
  const replicas = options.replicas;
  if (typeof replicas === 'object' && replicas !== null) {
    for (const problem of unknownOptionProblems(
      replicas,
      REPLICA_OPTION_NAMES,
      'an option of replicas',
    )) {
      reader.problem(`replicas.${problem.option}`, problem.value, problem.message);
    }
  }
}

/** The guards, and `control`: refused without a guard unless `allowUnguardedControl`. */
function resolveControl(reader: SettingsReader, guards: readonly unknown[]): boolean {
  guards.forEach((guard, i) => {
    if (!isGuard(guard)) reader.problem(`guards[${i}]`, guard, MESSAGES.notGuard);
  });
  const control = reader.flag('control');
  const allowUnguarded = reader.flag('allowUnguardedControl');
  if (control && guards.length === 0 && !allowUnguarded) {
    reader.problem('control', true, MESSAGES.unguardedControl);
  }
  return control;
}

/** `replicas`: on by default, off with `false`, its durations checked. */
function resolveReplicas(reader: SettingsReader): ResolvedDashboardSettings['replicas'] {
  const asked = reader.options.replicas;
  if (asked === false) return false;
  if (asked !== undefined && (typeof asked !== 'object' || asked === null)) {
    reader.problem('replicas', asked, MESSAGES.notObject);
    return false;
  }
  const publishEveryMs = reader.duration('replicas.publishEvery', asked?.publishEvery, 5000);
  // expireAfter no longer decides anything (a silent replica is lost, then forgotten), but a
  // value that was refused before still is.
  const expireAfterMs = reader.duration('replicas.expireAfter', asked?.expireAfter, Infinity);
  const forgetAfterMs = reader.duration(
    'replicas.forgetAfter',
    asked?.forgetAfter,
    Math.max(600_000, publishEveryMs * 3),
  );
  const pollControlsMs = reader.duration('replicas.pollControls', asked?.pollControls, 500);
  if (expireAfterMs <= publishEveryMs) {
    reader.problem('replicas.expireAfter', asked?.expireAfter, MESSAGES.expiryTooShort);
  }
  if (forgetAfterMs <= 2 * publishEveryMs) {
    reader.problem(
      'replicas.forgetAfter',
      asked?.forgetAfter ?? forgetAfterMs,
      MESSAGES.forgetTooShort,
    );
  }
  return { publishEveryMs, forgetAfterMs, pollControlsMs };
}

/** `trustProxy` and `allowedHosts`: the Host check is on for unguarded control, or once hosts are given. */
function resolveHosts(
  reader: SettingsReader,
  unguardedControl: boolean,
): Pick<ResolvedDashboardSettings, 'trustProxy' | 'allowedHosts' | 'checkHost'> {
  const trustProxy = reader.flag('trustProxy');
  const asked = reader.options.allowedHosts;
  if (asked === undefined) return { trustProxy, allowedHosts: [], checkHost: unguardedControl };
  if (!Array.isArray(asked) || !asked.every(isHostPattern)) {
    reader.problem('allowedHosts', asked, MESSAGES.notHostArray);
    return { trustProxy, allowedHosts: [], checkHost: true };
  }
  return { trustProxy, allowedHosts: asked.map((host) => host.toLowerCase()), checkHost: true };
}

/** 'ops.example.com', 'ops.example.com:8080', '.example.com', '[::1]:3000': a host, no scheme or path. */
function isHostPattern(host: unknown): host is string {
  return (
    typeof host === 'string' &&
    /^(\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/.test(host)
  );
}

/** `minInterval`: '1s' by default, off with 0 or false. */
function resolveMinInterval(reader: SettingsReader): number {
  const asked = reader.options.minInterval;
  if (asked === false) return 0;
  return reader.duration('minInterval', asked, 1000, true);
}

/** `operator`: a function, or the default that reads the guard's `request.user`. */
function resolveOperator(reader: SettingsReader): (request: unknown) => string | undefined {
  const asked = reader.options.operator;
  if (asked === undefined) return operatorFromUser;
  if (typeof asked === 'function') return asked;
  reader.problem('operator', asked, MESSAGES.notFunction);
  return operatorFromUser;
}

export function isGuard(guard: unknown): guard is DashboardGuard {
  if (typeof guard === 'function')
    return typeof (guard.prototype as { canActivate?: unknown })?.canActivate === 'function';
  return (
    typeof guard === 'object' &&
    guard !== null &&
    typeof (guard as { canActivate?: unknown }).canActivate === 'function'
  );
}

/** '/ops/routines/' and 'ops/routines' alike: '/ops/routines'. */
export function normalizePath(path: string): string {
  const trimmed = path.replace(/\/+$/, '').replace(/^\/*/, '/');
  return trimmed === '' ? '/' : trimmed;
}
