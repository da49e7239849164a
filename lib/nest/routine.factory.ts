// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured choices".
import { Logger } from '@nestjs/common';
import { MESSAGES } from './nest.messages';
import {
  BACKGROUND_OPTION_NAMES,
  PERIODIC_OPTION_NAMES,
  unknownOptionProblems,
  systemClock,
  PeriodicRoutine,
  type RunContext,
  SupervisedRoutine,
  validateBackgroundOptions,
  resolvePeriodicOptions,
  type ResolvedPeriodicOptions,
  type Clock,
  type ConfigurationProblem,
  type Coordinator,
  type ManagedRoutine,
  type OptionProblem,
  type RoutineEventListener,
  type RoutineLogger,
  type BackgroundHandler,
  type PeriodicHandler,
} from '../core';
import { RunHistory } from '../observability';
import type { RoutinesMetrics } from '../observability/routines-metrics';
import type { RunTracer, TracedRunner } from '../observability/run-tracer';
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
  /** Its last runs, unless the module keeps none (`history: 0`). */
  history: RunHistory | undefined;
}

export interface BuildContext {
  overrides: Record<string, RoutineOverrides>;
  clock?: Clock;
  coordinator: Coordinator;
  onEvent: RoutineEventListener;
  version?: string;
  /** Runs kept per routine (module option `history`). */
  history: number;
  /** Module option `tracing`: every run in a span. */
  tracer?: RunTracer;
  /** Module option `metrics`: every run counted. */
  metrics?: RoutinesMetrics;
}

const MODULE_SOURCE = 'RoutinesModule options';
const NO_OVERRIDES: Readonly<RoutineOverrides> = Object.freeze({});

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
  // Looked up only when there are module options for routines at all (measured).
  const anyOverrides = Object.keys(context.overrides).length > 0;
  for (const declaration of declarations) {
    const own = anyOverrides ? context.overrides[declaration.name] : undefined;
    const one = buildRoutine(declaration, context, own);
    problems.push(...one.problems);
    if (one.built) built.push(one.built);
  }
  return { built, problems };
}

/**
 * Checks one declaration with its module overrides and builds it: at bootstrap, for a routine
 * added at run time, and again for one started after it stopped (a routine runs once).
 */
export function buildRoutine(
  declaration: RoutineDeclaration,
  context: BuildContext,
  own: RoutineOverrides | undefined,
): { built?: BuiltRoutine; problems: ConfigurationProblem[] } {
  const problems: ConfigurationProblem[] = [];
  // `{ interval: process.env.UNSET }` must not erase the decorator's interval: undefined means "not set".
  const overrides = own == null ? NO_OVERRIDES : withoutUndefined(own);
  // Not `{ ...options, ...overrides, name }`: a property after a spread takes V8's slow path.
  const options: PeriodicRoutineDecoratorOptions & BackgroundRoutineDecoratorOptions =
    overrides === NO_OVERRIDES
      ? { ...declaration.options }
      : { ...declaration.options, ...overrides };
  options.name = declaration.name;
  const { problems: found, resolved } = validate(declaration, options);
  for (const problem of found) {
    const fromModule = topLevelKey(problem.option) in overrides;
    problems.push({
      ...problem,
      routine: declaration.name,
      source: fromModule ? `${MODULE_SOURCE} routines['${declaration.name}']` : declaration.source,
    });
  }
  // A class without handle()/start() is reported by the explorer; building it would throw.
  if (found.length > 0 || !hasEntryPoint(declaration)) return { problems };
  const history =
    context.history > 0
      ? new RunHistory(context.history, isClusterPeriodic(declaration, options))
      : undefined;
  return {
    built: {
      routine: create(declaration, options, context, resolved, history),
      declaration,
      enabled: options.enabled !== false,
      history,
    },
    problems,
  };
}

const PERIODIC_DECORATOR_OPTIONS: readonly string[] = [...PERIODIC_OPTION_NAMES, 'enabled'];
const BACKGROUND_DECORATOR_OPTIONS: readonly string[] = [...BACKGROUND_OPTION_NAMES, 'enabled'];

/** The problems in a routine's options and, for a periodic one, the options parsed (once). */
function validate(
  declaration: RoutineDeclaration,
  options: PeriodicRoutineDecoratorOptions & BackgroundRoutineDecoratorOptions,
): { problems: OptionProblem[]; resolved?: ResolvedPeriodicOptions } {
  const problems: OptionProblem[] = unknownOptionProblems(
    declaration.options,
    declaration.kind === 'periodic' ? PERIODIC_DECORATOR_OPTIONS : BACKGROUND_DECORATOR_OPTIONS,
  );
  if (options.enabled !== undefined && typeof options.enabled !== 'boolean') {
    problems.push({ option: 'enabled', value: options.enabled, message: MESSAGES.notBoolean });
  }
  if (declaration.kind === 'background') {
    problems.push(...validateBackgroundOptions(options));
    return { problems };
  }
  if (options.interval === undefined) {
    problems.push({
      option: 'interval',
      value: undefined,
      message: MESSAGES.missingInterval(declaration.name),
    });
  }
  return { problems, resolved: resolvePeriodicOptions(options, problems) };
}

function hasEntryPoint(declaration: RoutineDeclaration): boolean {
  if (declaration.methodName !== undefined) return typeof methodOf(declaration) === 'function';
  const required = declaration.kind === 'periodic' ? 'handle' : 'start';
  return typeof (declaration.instance as Record<string, unknown>)[required] === 'function';
}

/**
 * The decorated method, as `instance[methodName]` reads it: the one the explorer found on the
 * class, unless the instance has a property of its own by that name (read from the class,
 * not through each instance: measured).
 */
function methodOf(declaration: RoutineDeclaration): unknown {
  const { instance, methodName, method } = declaration;
  if (methodName === undefined) return undefined;
  return method !== undefined && !Object.prototype.hasOwnProperty.call(instance, methodName)
    ? method
    : (instance as Record<string, unknown>)[methodName];
}

function create(
  declaration: RoutineDeclaration,
  options: PeriodicRoutineDecoratorOptions & BackgroundRoutineDecoratorOptions,
  context: BuildContext,
  resolved: ResolvedPeriodicOptions | undefined,
  recorder: RunHistory | undefined,
): ManagedRoutine {
  const runtime = {
    logger: nestRoutineLogger(declaration.name),
    coordinator: context.coordinator,
    onEvent: context.onEvent,
    version: context.version,
    clock: context.clock,
    recorder:
      context.metrics?.recorderFor(declaration.name, context.clock ?? systemClock, recorder) ??
      recorder,
  };
  const instance = declaration.instance as Record<string, (...args: unknown[]) => unknown>;
  const method = declaration.methodName;
  const traced: TracedRunner | undefined = context.tracer?.forRoutine({
    name: declaration.name,
    kind: declaration.kind,
    scope: options.scope ?? 'instance',
    source: declaration.source,
  });
  if (declaration.kind === 'periodic') {
    const handler = method
      ? new MethodHandler(instance, methodOf(declaration) as MethodHandler['method'])
      : (declaration.instance as PeriodicHandler);
    const run = traced ? new TracedHandler(handler, traced) : handler;
    // `options` is this routine's own copy (see buildRoutines): extended in place rather than
    // spread again, one object less per routine at bootstrap.
    return new PeriodicRoutine(run, Object.assign(options, runtime), resolved);
  }
  const handler: BackgroundHandler = method
    ? { start: (signal: AbortSignal, ctx: unknown) => instance[method](signal, ctx) }
    : (declaration.instance as BackgroundHandler);
  const run = traced ? tracedBackground(handler, traced) : handler;
  // Only the background options: `enabled` is the adapter's, and an override of another kind
  // (`interval` on a background routine) has been reported already.
  const own: Record<string, unknown> = {};
  for (const key of BACKGROUND_OPTION_NAMES) {
    if ((options as Record<string, unknown>)[key] !== undefined)
      own[key] = (options as Record<string, unknown>)[key];
  }
  return new SupervisedRoutine(run, Object.assign(own, runtime));
}

/** A periodic handler whose every run is a span (module option `tracing`). */
class TracedHandler implements PeriodicHandler {
  constructor(
    private readonly inner: PeriodicHandler,
    private readonly spans: TracedRunner,
  ) {}

  handle(signal: AbortSignal, context: RunContext): unknown {
    return this.spans.run(signal, context, this.inner.handle, this.inner);
  }

  handleError(error: unknown): unknown {
    return this.inner.handleError?.(error);
  }

  onShutdown(): unknown {
    return this.inner.onShutdown?.();
  }
}

/** A background handler whose every attempt is a span; its `stop`, if any, kept as is. */
function tracedBackground(inner: BackgroundHandler, spans: TracedRunner): BackgroundHandler {
  const handler: BackgroundHandler = {
    start: (signal, context) => spans.run(signal, context, inner.start, inner),
  };
  if (typeof inner.stop === 'function') handler.stop = () => inner.stop!();
  return handler;
}

function isClusterPeriodic(
  declaration: RoutineDeclaration,
  options: PeriodicRoutineDecoratorOptions & BackgroundRoutineDecoratorOptions,
): boolean {
  return declaration.kind === 'periodic' && options.scope === 'cluster';
}

function duplicateNameProblems(
  declarations: readonly RoutineDeclaration[],
): ConfigurationProblem[] {
  const names = new Set<string>();
  for (const declaration of declarations) names.add(declaration.name);
  if (names.size === declarations.length) return [];
  const byName = new Map<string, RoutineDeclaration[]>();
  for (const declaration of declarations) {
    const group = byName.get(declaration.name);
    if (group) group.push(declaration);
    else byName.set(declaration.name, [declaration]);
  }
  return [...byName.values()]
    .filter((group) => group.length > 1)
    .map((group) => ({
      source: group.map((d) => d.source).join(' and '),
      routine: group[0].name,
      option: 'name',
      value: group[0].name,
      message: MESSAGES.duplicateName,
    }));
}

/** Module options that only one kind of routine has; the others apply to both. */
/** The options of one kind only: `interval` is periodic, `restart` background. */
const ONLY_FOR: Readonly<Record<string, 'periodic' | 'background'>> = Object.fromEntries([
  ...PERIODIC_OPTION_NAMES.filter((key) => !BACKGROUND_DECORATOR_OPTIONS.includes(key)).map(
    (key) => [key, 'periodic'] as const,
  ),
  ...BACKGROUND_OPTION_NAMES.filter((key) => !PERIODIC_DECORATOR_OPTIONS.includes(key)).map(
    (key) => [key, 'background'] as const,
  ),
]);

function unknownOverrideProblems(
  declarations: readonly RoutineDeclaration[],
  overrides: Record<string, RoutineOverrides>,
): ConfigurationProblem[] {
  const names = new Set(declarations.map((d) => d.name));
  const kinds = new Map(declarations.map((d) => [d.name, d.kind]));
  const problems: ConfigurationProblem[] = [];
  for (const [name, settings] of Object.entries(overrides)) {
    const source = `${MODULE_SOURCE} routines['${name}']`;
    if (!names.has(name)) {
      const known = [...names].sort().join(', ') || 'none';
      problems.push({
        source,
        option: 'routines',
        value: name,
        message: MESSAGES.unknownRoutine(known),
      });
      continue;
    }
    if (typeof settings !== 'object' || settings === null) {
      problems.push({
        source,
        routine: name,
        option: `routines['${name}']`,
        value: settings,
        message: MESSAGES.overridesNotObject,
      });
      continue;
    }
    const kind = kinds.get(name)!;
    for (const [key, value] of Object.entries(settings)) {
      if (!(ROUTINE_OVERRIDE_KEYS as readonly string[]).includes(key)) {
        problems.push({
          source,
          routine: name,
          option: key,
          value,
          message: MESSAGES.unknownOption(ROUTINE_OVERRIDE_KEYS.join(', ')),
        });
      } else if (value !== undefined && ONLY_FOR[key] !== undefined && ONLY_FOR[key] !== kind) {
        problems.push({
          source,
          routine: name,
          option: key,
          value,
          message: MESSAGES.optionOfOtherKind(ONLY_FOR[key], name, kind),
        });
      }
    }
  }
  return problems;
}

function withoutUndefined<T extends object>(settings: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(settings).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

function topLevelKey(option: string): string {
  return option.split('.')[0];
}

/**
 * A decorated method as a periodic handler. The method is looked up once, when the routine is
 * built (as @nestjs/schedule does), not on every tick (measured).
 */
class MethodHandler {
  constructor(
    private readonly instance: object,
    readonly method: (signal: AbortSignal, context: RunContext) => unknown,
  ) {}

  handle(signal: AbortSignal, context: RunContext): unknown {
    return this.method.call(this.instance, signal, context);
  }
}

/**
 * Nest's Logger with the routine's name as context, made on first use: most routines never
 * log (measured).
 */
class NestRoutineLogger implements RoutineLogger {
  private logger: Logger | undefined;

  constructor(private readonly name: string) {}

  log(message: string): void {
    this.nest().log(message);
  }

  warn(message: string): void {
    this.nest().warn(message);
  }

  debug(message: string): void {
    this.nest().debug(message);
  }

  error(message: string, stack?: string): void {
    this.nest().error(message, stack);
  }

  private nest(): Logger {
    return (this.logger ??= new Logger(this.name));
  }
}

export function nestRoutineLogger(name: string): RoutineLogger {
  return new NestRoutineLogger(name);
}
