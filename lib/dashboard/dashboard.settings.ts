import {
  parseDuration,
  RoutinesConfigurationError,
  type ConfigurationProblem,
  type Duration,
} from '../core';
import type {
  DashboardGuard,
  RoutinesDashboardSettings,
} from './interfaces/dashboard-options.interface';
import { MESSAGES } from './dashboard.messages';

export const DASHBOARD_SETTINGS = Symbol('nestjs-routines:dashboard-settings');

/** The settings once checked, durations in ms. */
export interface ResolvedDashboardSettings {
  path: string;
  control: boolean;
  exposeStacks: boolean;
  trustedOrigins: string[];
  refreshMs: number;
  title: string;
  replicas: { publishEveryMs: number; expireAfterMs: number; pollControlsMs: number } | false;
}

const SOURCE = 'RoutinesDashboardModule';
const PATH = /^\/?[A-Za-z0-9\-_.~/]*$/;

/** Every bad option at once, as `RoutinesModule` reports its own. */
export function resolveSettings(
  path: unknown,
  guards: readonly unknown[] | undefined,
  settings: RoutinesDashboardSettings | undefined,
): ResolvedDashboardSettings {
  const problems: ConfigurationProblem[] = [];
  const problem = (option: string, value: unknown, message: string): void => {
    problems.push({ source: SOURCE, option, value, message });
  };
  const options = settings ?? {};
  const flag = (option: keyof RoutinesDashboardSettings): boolean => {
    const value = options[option];
    if (value === undefined) return false;
    if (typeof value !== 'boolean') problem(option, value, MESSAGES.notBoolean);
    return value === true;
  };
  const duration = (
    option: string,
    value: Duration | undefined,
    fallback: number,
    allowZero = false,
  ): number => {
    if (value === undefined) return fallback;
    const parsed = parseDuration(value, { allowZero });
    if ('ms' in parsed) return parsed.ms;
    problem(option, value, parsed.problem);
    return fallback;
  };

  const resolvedPath = path === undefined ? '/routines' : path;
  if (typeof resolvedPath !== 'string' || !PATH.test(resolvedPath)) {
    problem('path', path, MESSAGES.notPath);
  }
  (guards ?? []).forEach((guard, i) => {
    if (!isGuard(guard)) problem(`guards[${i}]`, guard, MESSAGES.notGuard);
  });
  const control = flag('control');
  const allowUnguarded = flag('allowUnguardedControl');
  if (control && (guards ?? []).length === 0 && !allowUnguarded) {
    problem('control', true, MESSAGES.unguardedControl);
  }
  const origins = options.trustedOrigins ?? [];
  if (!Array.isArray(origins) || origins.some((origin) => typeof origin !== 'string')) {
    problem('trustedOrigins', origins, MESSAGES.notStringArray);
  }
  if (options.title !== undefined && typeof options.title !== 'string') {
    problem('title', options.title, MESSAGES.notString);
  }
  let replicas: ResolvedDashboardSettings['replicas'] = false;
  const asked = options.replicas;
  if (asked !== false && (asked === undefined || (typeof asked === 'object' && asked !== null))) {
    const publishEveryMs = duration('replicas.publishEvery', asked?.publishEvery, 5000);
    const expireAfterMs = duration(
      'replicas.expireAfter',
      asked?.expireAfter,
      Math.max(15_000, publishEveryMs * 3),
    );
    const pollControlsMs = duration('replicas.pollControls', asked?.pollControls, 500);
    if (expireAfterMs <= publishEveryMs) {
      problem('replicas.expireAfter', asked?.expireAfter ?? expireAfterMs, MESSAGES.expiryTooShort);
    }
    replicas = { publishEveryMs, expireAfterMs, pollControlsMs };
  } else if (asked !== false) {
    problem('replicas', asked, MESSAGES.notObject);
  }
  const resolved: ResolvedDashboardSettings = {
    path: typeof resolvedPath === 'string' ? normalizePath(resolvedPath) : '/routines',
    control,
    exposeStacks: flag('exposeStacks'),
    trustedOrigins: Array.isArray(origins)
      ? origins.map((origin) => String(origin).replace(/\/+$/, ''))
      : [],
    refreshMs: duration('refresh', options.refresh, 5000, true),
    title: typeof options.title === 'string' ? options.title : 'Routines',
    replicas,
  };
  if (problems.length > 0) throw new RoutinesConfigurationError(problems);
  return resolved;
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
