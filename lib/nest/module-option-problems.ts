import {
  checkDuration,
  type ConfigurationProblem,
  type EveryKeyListed,
  type UnlistedKeys,
} from '../core';
import type { MigrationsModuleOptions } from '../migrations/interfaces/migrations-module-options.interface';
import { MODULE_OPTIONS_SOURCE } from './constants';
import { historyOptionProblems } from './history-options';
import type { RoutinesModuleOptions } from './interfaces/routines-module-options.interface';
import { MESSAGES } from './nest.messages';
import { warningsOptionProblems } from './warnings-option-problems';

/** The keys of the module option `migrations`; any other is refused (the message names these two). */
const MIGRATIONS_OPTION_NAMES = [
  'require',
  'wait',
] as const satisfies readonly (keyof MigrationsModuleOptions)[];
type _EveryMigrationsOption = EveryKeyListed<
  UnlistedKeys<MigrationsModuleOptions, typeof MIGRATIONS_OPTION_NAMES>
>;

/** Every problem in the module options (not `routines`: the factory checks those), with its source. */
export function moduleOptionProblems(
  options: RoutinesModuleOptions | undefined,
): ConfigurationProblem[] {
  const problems: ConfigurationProblem[] = [];
  checkDuration(problems, 'shutdownTimeout', options?.shutdownTimeout);
  const coordinator = options?.coordinator as { claimSlot?: unknown } | undefined;
  if (coordinator !== undefined && typeof coordinator?.claimSlot !== 'function') {
    problems.push({
      option: 'coordinator',
      value: typeof coordinator,
      message: MESSAGES.notCoordinator,
    });
  }
  const clock = options?.clock as { now?: unknown; setTimer?: unknown } | undefined;
  if (
    clock !== undefined &&
    (typeof clock?.now !== 'function' || typeof clock.setTimer !== 'function')
  ) {
    problems.push({ option: 'clock', value: typeof clock, message: MESSAGES.notClock });
  }
  problems.push(...historyOptionProblems(options));
  problems.push(...featureOptionProblems(options));
  problems.push(...warningsOptionProblems(options?.warnings));
  if (options?.version !== undefined && typeof options.version !== 'string') {
    problems.push({
      option: 'version',
      value: options.version,
      message: MESSAGES.badVersion,
    });
  }
  return problems.map((problem) => ({ ...problem, source: MODULE_OPTIONS_SOURCE }));
}

/** `metrics`, `migrations`, `workerStore` and `tracing`: each off, `true`, or checked settings. */
function featureOptionProblems(options: RoutinesModuleOptions | undefined): ConfigurationProblem[] {
  const problems: ConfigurationProblem[] = [];
  metricsOptionProblems(options, problems);
  migrationsOptionProblems(options, problems);
  workerStoreProblems(options, problems);
  tracingOptionProblems(options, problems);
  return problems;
}

/** `metrics`: a boolean, or `{ registry, prefix }` with a prom-client registry and a valid prefix. */
function metricsOptionProblems(
  options: RoutinesModuleOptions | undefined,
  problems: ConfigurationProblem[],
): void {
  const metrics = options?.metrics;
  if (metrics !== undefined && typeof metrics !== 'boolean') {
    if (typeof metrics !== 'object' || metrics === null) {
      problems.push({ option: 'metrics', value: metrics, message: MESSAGES.badFeature('metrics') });
    } else {
      const registry = metrics.registry as { getSingleMetric?: unknown } | undefined;
      if (registry !== undefined && typeof registry?.getSingleMetric !== 'function') {
        problems.push({
          option: 'metrics.registry',
          value: typeof registry,
          message: MESSAGES.notPromRegistry,
        });
      }
      if (
        metrics.prefix !== undefined &&
        !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(String(metrics.prefix))
      ) {
        problems.push({
          option: 'metrics.prefix',
          value: metrics.prefix,
          message: MESSAGES.badMetricPrefix,
        });
      }
    }
  }
}

/** `migrations`: `{ require, wait }`, nothing else. */
function migrationsOptionProblems(
  options: RoutinesModuleOptions | undefined,
  problems: ConfigurationProblem[],
): void {
  const migrations = options?.migrations as Record<string, unknown> | undefined;
  if (migrations !== undefined) {
    if (typeof migrations !== 'object' || migrations === null) {
      problems.push({
        option: 'migrations',
        value: migrations,
        message: MESSAGES.migrationsObject,
      });
    } else {
      const required = migrations.require;
      if (
        required !== undefined &&
        !(Array.isArray(required) && required.every((id) => typeof id === 'string' && id !== ''))
      ) {
        problems.push({
          option: 'migrations.require',
          value: required,
          message: MESSAGES.requireList,
        });
      }
      if (migrations.wait !== undefined)
        checkDuration(problems, 'migrations.wait', migrations.wait);
      for (const key of Object.keys(migrations)) {
        if (!(MIGRATIONS_OPTION_NAMES as readonly string[]).includes(key)) {
          problems.push({
            option: `migrations.${key}`,
            value: migrations[key],
            message: MESSAGES.unknownMigrationsOption,
          });
        }
      }
    }
  }
}

/** `workerStore`: a `PostgresWorkerStore` (anything with `table()`). */
function workerStoreProblems(
  options: RoutinesModuleOptions | undefined,
  problems: ConfigurationProblem[],
): void {
  const store = options?.workerStore as { table?: unknown } | undefined;
  if (store !== undefined && typeof store?.table !== 'function') {
    problems.push({ option: 'workerStore', value: typeof store, message: MESSAGES.notWorkerStore });
  }
}

/** `tracing`: a boolean, or `{ tracer }` with an OpenTelemetry tracer. */
function tracingOptionProblems(
  options: RoutinesModuleOptions | undefined,
  problems: ConfigurationProblem[],
): void {
  const tracing = options?.tracing;
  if (tracing !== undefined && typeof tracing !== 'boolean') {
    const tracer = (tracing as { tracer?: { startActiveSpan?: unknown } } | null)?.tracer;
    if (typeof tracing !== 'object' || tracing === null) {
      problems.push({ option: 'tracing', value: tracing, message: MESSAGES.badFeature('tracing') });
    } else if (tracer !== undefined && typeof tracer?.startActiveSpan !== 'function') {
      problems.push({
        option: 'tracing.tracer',
        value: typeof tracer,
        message: MESSAGES.notTracer,
      });
    }
  }
}
