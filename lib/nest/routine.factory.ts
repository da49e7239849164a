import { Logger } from '@nestjs/common';
import {
  PeriodicRoutine,
  SupervisedRoutine,
  validateBackgroundOptions,
  validatePeriodicOptions,
  type ConfigurationProblem,
  type Coordinator,
  type ManagedRoutine,
  type OptionProblem,
  type RoutineEventListener,
  type RoutineLogger,
} from '../core';
import type {
  BackgroundRoutineDecoratorOptions,
  PeriodicRoutineDecoratorOptions,
  RoutineDeclaration,
} from './interfaces/routine-declaration.interface';
import {
  ROUTINE_OVERRIDE_KEYS,
  type RoutineOverrides,
} from './interfaces/routines-module-options.interface';

export interface BuiltRoutine {
  routine: ManagedRoutine;
  declaration: RoutineDeclaration;
  enabled: boolean;
}

export interface BuildContext {
  overrides: Record<string, RoutineOverrides>;
  coordinator: Coordinator;
  onEvent: RoutineEventListener;
}

const MODULE_SOURCE = 'RoutinesModule options';

/**
 * Checks every declaration against the module options and builds the core routines.
 * Returns all problems at once instead of stopping at the first.
 */
export function buildRoutines(
  declarations: readonly RoutineDeclaration[],
  context: BuildContext,
): { built: BuiltRoutine[]; problems: ConfigurationProblem[] } {
  const problems: ConfigurationProblem[] = [
    ...duplicateNameProblems(declarations),
    ...unknownOverrideProblems(declarations, context.overrides),
  ];
  const built: BuiltRoutine[] = [];
  for (const declaration of declarations) {
    const overrides = context.overrides[declaration.name] ?? {};
    const options = { ...declaration.options, ...overrides, name: declaration.name };
    const found = validate(declaration, options);
    for (const problem of found) {
      const fromModule = topLevelKey(problem.option) in overrides;
      problems.push({
        ...problem,
        routine: declaration.name,
        source: fromModule
          ? `${MODULE_SOURCE} routines['${declaration.name}']`
          : declaration.source,
      });
    }
    if (found.length > 0) continue;
    built.push({
      routine: create(declaration, options, context),
      declaration,
      enabled: options.enabled !== false,
    });
  }
  return { built, problems };
}

function validate(
  declaration: RoutineDeclaration,
  options: PeriodicRoutineDecoratorOptions & BackgroundRoutineDecoratorOptions,
): OptionProblem[] {
  const problems: OptionProblem[] = [];
  if (options.enabled !== undefined && typeof options.enabled !== 'boolean') {
    problems.push({ option: 'enabled', value: options.enabled, message: 'must be true or false' });
  }
  if (declaration.kind === 'background')
    return [...problems, ...validateBackgroundOptions(options)];
  if (options.interval === undefined) {
    problems.push({
      option: 'interval',
      value: undefined,
      message: `is missing: give it in @Periodic('2m') or in the module options under routines['${declaration.name}']`,
    });
  }
  return [...problems, ...validatePeriodicOptions(options)];
}

function create(
  declaration: RoutineDeclaration,
  options: PeriodicRoutineDecoratorOptions & BackgroundRoutineDecoratorOptions,
  context: BuildContext,
): ManagedRoutine {
  const runtime = {
    logger: nestRoutineLogger(declaration.name),
    coordinator: context.coordinator,
    onEvent: context.onEvent,
  };
  const instance = declaration.instance as Record<string, (...args: unknown[]) => unknown>;
  const method = declaration.methodName;
  if (declaration.kind === 'periodic') {
    const handler = method
      ? { handle: (signal: AbortSignal) => instance[method](signal) }
      : declaration.instance;
    return new PeriodicRoutine(handler as never, { ...options, ...runtime });
  }
  const handler = method
    ? { start: (signal: AbortSignal, ctx: unknown) => instance[method](signal, ctx) }
    : declaration.instance;
  return new SupervisedRoutine(handler as never, { ...options, ...runtime });
}

function duplicateNameProblems(
  declarations: readonly RoutineDeclaration[],
): ConfigurationProblem[] {
  const byName = new Map<string, RoutineDeclaration[]>();
  for (const declaration of declarations)
    byName.set(declaration.name, [...(byName.get(declaration.name) ?? []), declaration]);
  return [...byName.values()]
    .filter((group) => group.length > 1)
    .map((group) => ({
      source: group.map((d) => d.source).join(' and '),
      routine: group[0].name,
      option: 'name',
      value: group[0].name,
      message: 'is used by more than one routine; names must be unique per app',
    }));
}

function unknownOverrideProblems(
  declarations: readonly RoutineDeclaration[],
  overrides: Record<string, RoutineOverrides>,
): ConfigurationProblem[] {
  const names = new Set(declarations.map((d) => d.name));
  const problems: ConfigurationProblem[] = [];
  for (const [name, settings] of Object.entries(overrides)) {
    const source = `${MODULE_SOURCE} routines['${name}']`;
    if (!names.has(name)) {
      const known = [...names].sort().join(', ') || 'none';
      problems.push({
        source,
        option: 'routines',
        value: name,
        message: `names no routine (known routines: ${known})`,
      });
      continue;
    }
    if (typeof settings !== 'object' || settings === null) {
      problems.push({
        source,
        routine: name,
        option: `routines['${name}']`,
        value: settings,
        message: 'must be an object of routine options',
      });
      continue;
    }
    for (const key of Object.keys(settings)) {
      if (!(ROUTINE_OVERRIDE_KEYS as readonly string[]).includes(key)) {
        problems.push({
          source,
          routine: name,
          option: key,
          value: (settings as Record<string, unknown>)[key],
          message: `is not a routine option (options: ${ROUTINE_OVERRIDE_KEYS.join(', ')})`,
        });
      }
    }
  }
  return problems;
}

function topLevelKey(option: string): string {
  return option.split('.')[0];
}

/** Nest's Logger with the routine's name as context. */
export function nestRoutineLogger(name: string): RoutineLogger {
  const logger = new Logger(name);
  return {
    log: (message) => logger.log(message),
    warn: (message) => logger.warn(message),
    debug: (message) => logger.debug(message),
    error: (message, error) =>
      logger.error(
        message,
        typeof error === 'string' ? error : error instanceof Error ? error.stack : undefined,
      ),
  };
}
