// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured choices".
import {
  BACKGROUND_OPTION_NAMES,
  systemClock,
  PeriodicRoutine,
  SupervisedRoutine,
  type ResolvedPeriodicOptions,
  type Clock,
  type ConfigurationProblem,
  type Coordinator,
  type ManagedRoutine,
  type RoutineEventListener,
  type BackgroundHandler,
  type PeriodicHandler,
} from '../core';
import type { ReplicaIdentity } from '../controls/interfaces/replica-identity.interface';
import { RunHistory } from '../observability';
import { EngineRunRecorder } from '../observability/engine-run-recorder';
import type { HistoryWriter } from '../observability/history-writer';
import type { RoutinesMetrics } from '../observability/routines-metrics';
import type { RunTracer, TracedRunner } from '../observability/run-tracer';
import { MODULE_OPTIONS_SOURCE } from './constants';
import { nestRoutineLogger } from './factory/nest-routine-logger';
import {
  declaresParameters,
  MethodHandler,
  TracedHandler,
  tracedBackground,
} from './factory/routine-handlers';
import {
  duplicateNameProblems,
  topLevelKey,
  unknownOverrideProblems,
  validateDeclaration,
} from './factory/routine-option-problems';
import type {
  BackgroundRoutineDecoratorOptions,
  PeriodicRoutineDecoratorOptions,
  RoutineDeclaration,
} from './interfaces/routine-declaration.interface';
import type { RoutineOverrides } from './interfaces/routines-module-options.interface';

/** A declaration's options merged with its module overrides: the routine's own copy. */
type RoutineOptions = PeriodicRoutineDecoratorOptions & BackgroundRoutineDecoratorOptions;

/** A routine the module built from a declaration, as the registry holds it. */
export interface BuiltRoutine {
  routine: ManagedRoutine;
  declaration: RoutineDeclaration;
  enabled: boolean;
  /** Its last runs, unless the module keeps none (`history: 0`). */
  history: RunHistory | undefined;
}

/** What the module builds routines with: its options, the coordinator, clock and features. */
export interface BuildContext {
  overrides: Record<string, RoutineOverrides>;
  clock?: Clock;
  coordinator: Coordinator;
  onEvent: RoutineEventListener;
  version?: string;
  /** Runs kept per routine (module option `history`). */
  history: number;
  /** Sends every run to the coordinator's run history (`history.engine`). */
  historyWriter?: HistoryWriter;
  /** This process as the replicas know it. */
  replica?: ReplicaIdentity;
  /** Module option `tracing`: every run in a span. */
  tracer?: RunTracer;
  /** Module option `metrics`: every run counted. */
  metrics?: RoutinesMetrics;
}

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
  const options: RoutineOptions =
    overrides === NO_OVERRIDES
      ? { ...declaration.options }
      : { ...declaration.options, ...overrides };
  options.name = declaration.name;
  const { problems: found, resolved } = validateDeclaration(declaration, options);
  for (const problem of found) {
    const fromModule = topLevelKey(problem.option) in overrides;
    problems.push({
      ...problem,
      routine: declaration.name,
      source: fromModule
        ? `${MODULE_OPTIONS_SOURCE} routines['${declaration.name}']`
        : declaration.source,
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

/** Whether the routine has what it calls: the decorated method, or the class's handle()/start(). */
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

/** The core routine of a declaration: a PeriodicRoutine or a SupervisedRoutine. */
function create(
  declaration: RoutineDeclaration,
  options: RoutineOptions,
  context: BuildContext,
  resolved: ResolvedPeriodicOptions | undefined,
  recorder: RunHistory | undefined,
): ManagedRoutine {
  const runtime = runtimeOf(declaration, options, context, recorder);
  const traced: TracedRunner | undefined = context.tracer?.forRoutine({
    name: declaration.name,
    kind: declaration.kind,
    scope: options.scope ?? 'instance',
    source: declaration.source,
  });
  if (declaration.kind === 'periodic') {
    const handler = periodicHandler(declaration);
    const run = traced ? new TracedHandler(handler, traced) : handler;
    // `options` is this routine's own copy (see buildRoutines): extended in place rather than
    // spread again, one object less per routine at bootstrap.
    return new PeriodicRoutine(run, Object.assign(options, runtime), resolved);
  }
  const handler = backgroundHandler(declaration);
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

/** What the module gives every routine: its logger, the coordinator, events, clock, recorder. */
function runtimeOf(
  declaration: RoutineDeclaration,
  options: RoutineOptions,
  context: BuildContext,
  ring: RunHistory | undefined,
) {
  const clock = context.clock ?? systemClock;
  const writer = context.historyWriter;
  const recorder = writer
    ? new EngineRunRecorder(
        declaration.name,
        writer,
        clock,
        ring,
        isClusterPeriodic(declaration, options),
      )
    : ring;
  return {
    logger: nestRoutineLogger(declaration.name),
    coordinator: context.coordinator,
    onEvent: context.onEvent,
    version: context.version,
    clock: context.clock,
    recorder: context.metrics?.recorderFor(declaration.name, clock, recorder) ?? recorder,
  };
}

/** The decorated method, or the class itself, as a periodic handler. */
function periodicHandler(declaration: RoutineDeclaration): PeriodicHandler {
  if (!declaration.methodName) return declaration.instance as PeriodicHandler;
  const method = methodOf(declaration) as MethodHandler['method'];
  const instance = declaration.instance as object;
  return new MethodHandler(instance, method, declaresParameters(instance, declaration.methodName));
}

/** The decorated method, or the class itself, as a background handler. */
function backgroundHandler(declaration: RoutineDeclaration): BackgroundHandler {
  const method = declaration.methodName;
  if (!method) return declaration.instance as BackgroundHandler;
  const instance = declaration.instance as Record<string, (...args: unknown[]) => unknown>;
  return { start: (signal: AbortSignal, ctx: unknown) => instance[method](signal, ctx) };
}

function isClusterPeriodic(declaration: RoutineDeclaration, options: RoutineOptions): boolean {
  return declaration.kind === 'periodic' && options.scope === 'cluster';
}

/** `{ interval: undefined }` as `{}`: a module option left unset does not erase the decorator's. */
function withoutUndefined<T extends object>(settings: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(settings).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
