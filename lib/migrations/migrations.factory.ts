import { Logger } from '@nestjs/common';
import {
  checkDuration,
  type Clock,
  type ConfigurationProblem,
  type Coordinator,
  type MigrationStateStore,
  type OptionProblem,
  type RoutineEventListener,
} from '../core';
import { InMemoryMigrationStore } from './in-memory-migration-store';
import {
  MigrationRunner,
  type MigrationBatchRecord,
  type MigrationEvent,
} from './migration-runner';
import type { MigrationDefinition } from './migrator';
import type { RoutinesMetrics } from '../observability/routines-metrics';
import { MIGRATION_RUNNER } from '../nest/constants';
import type { RoutineDeclaration } from '../nest/interfaces/routine-declaration.interface';
import type { RoutineOverrides } from '../nest/interfaces/routines-module-options.interface';
import { MESSAGES } from './migrations.messages';
import type { DeclaredMigration } from '../nest/routines.explorer';

/** The app's out-of-band migrations, as the registry and the boot gate hold them. */
export interface BuiltMigrations {
  definitions: MigrationDefinition[];
  store: MigrationStateStore;
  /** The cluster background routine that drives each migration, by id (see {@link migrationRoutineName}). */
  routines: Map<string, string>;
  /** Tells this replica's runners to look again now (a direction was set here). */
  wake(): void;
  /** The batches this replica ran of a migration, newest first. */
  history(id: string, limit?: number): MigrationBatchRecord[];
  /** The epoch of the lease this replica holds for a migration, while it drives it here. */
  drivenHere(id: string): number | undefined;
}

/**
 * The cluster background routine that drives one migration: `out-of-band-migrations:<id>`,
 * with a lease of its own. Only replicas that declare the migration compete for it.
 */
export function migrationRoutineName(id: string): string {
  return `${MIGRATION_RUNNER}:${id}`;
}

/** Apps that share an in-memory coordinator (tests) share its migrations' state too. */
const memoryStores = new WeakMap<Coordinator, InMemoryMigrationStore>();

/** Where migrations keep their state: the coordinator's engine, or this process. */
export function migrationStoreOf(coordinator: Coordinator): MigrationStateStore {
  if (coordinator.migrations) return coordinator.migrations;
  let store = memoryStores.get(coordinator);
  if (!store) memoryStores.set(coordinator, (store = new InMemoryMigrationStore()));
  return store;
}

/**
 * Every `@OutOfBandMigration` of the app becomes a definition driven by a cluster background
 * routine of its own, `out-of-band-migrations:<id>`: a lease per migration, held by one of the
 * replicas that declare it, whose epoch fences its batches and its stored progress. A version
 * that adds a migration competes alone for its lease, so it never waits on an older version
 * that does not know it. Module options under `routines['out-of-band-migrations']` apply to
 * every one of them (under their own name, to one).
 */
export function buildMigrations(
  found: readonly DeclaredMigration[],
  coordinator: Coordinator,
  clock: Clock,
  emit: RoutineEventListener,
  metrics?: RoutinesMetrics,
  overrides: Record<string, RoutineOverrides> = {},
): {
  built: BuiltMigrations;
  declarations: RoutineDeclaration[];
  /** The module's `routines` options, with those for every migration spread to each one. */
  overrides: Record<string, RoutineOverrides>;
  problems: ConfigurationProblem[];
} {
  const { definitions, problems } = migrationDefinitions(found);
  const store = migrationStoreOf(coordinator);
  const runners = new Map<string, MigrationRunner>();
  const driving = new Map<string, number>();
  const routines = new Map(definitions.map(({ id }) => [id, migrationRoutineName(id)]));
  const built: BuiltMigrations = {
    definitions,
    store,
    routines,
    wake: () => runners.forEach((runner) => runner.wake()),
    history: (id, limit) => runners.get(id)?.history(id, limit) ?? [],
    drivenHere: (id) => driving.get(id),
  };
  if (definitions.length === 0 || problems.length > 0) {
    return { built, declarations: [], overrides, problems };
  }
  const declarations = definitions.map((definition) => {
    const name = routines.get(definition.id)!;
    const runner = new MigrationRunner(store, [definition], {
      clock,
      logger: new Logger(name),
      onEvent: migrationEvents(name, emit, clock, metrics),
      engine: coordinator, // its outages are told once, with the leases' and claims'
    });
    runners.set(definition.id, runner);
    return migrationRoutine(name, definition, runner, driving);
  });
  return { built, declarations, overrides: spreadOverrides(overrides, routines), problems };
}

/** Each `@OutOfBandMigration` checked (id, description, nonDestructive, durations) and defined. */
function migrationDefinitions(found: readonly DeclaredMigration[]): {
  definitions: MigrationDefinition[];
  problems: ConfigurationProblem[];
} {
  const problems: ConfigurationProblem[] = [];
  const definitions: MigrationDefinition[] = [];
  const ids = new Set<string>();
  for (const { source, instance, options } of found) {
    const optionProblems: OptionProblem[] = [];
    const id = options.id;
    if (typeof id !== 'string' || id.trim() === '') {
      optionProblems.push({ option: 'id', value: id, message: MESSAGES.migrationId });
    } else if (ids.has(id)) {
      optionProblems.push({ option: 'id', value: id, message: MESSAGES.migrationIdTaken });
    }
    if (typeof options.description !== 'string') {
      optionProblems.push({
        option: 'description',
        value: options.description,
        message: MESSAGES.migrationDescription,
      });
    }
    if (options.nonDestructive !== undefined && typeof options.nonDestructive !== 'boolean') {
      optionProblems.push({
        option: 'nonDestructive',
        value: options.nonDestructive,
        message: MESSAGES.notBooleanOption,
      });
    }
    const intervalMs = checkDuration(optionProblems, 'interval', options.interval ?? '1s');
    const timeoutMs =
      options.timeout === undefined
        ? undefined
        : checkDuration(optionProblems, 'timeout', options.timeout);
    problems.push(
      ...optionProblems.map((problem) => ({ ...problem, source, routine: String(id) })),
    );
    if (optionProblems.length > 0) continue;
    ids.add(id);
    definitions.push({
      id,
      description: options.description,
      intervalMs: intervalMs!,
      timeoutMs,
      nonDestructive: options.nonDestructive === true,
      migrator: instance,
    });
  }
  return { definitions, problems };
}

/** A migration's events: counted in the metrics, and on `events$` while someone listens. */
function migrationEvents(
  routine: string,
  emit: RoutineEventListener,
  clock: Clock,
  metrics: RoutinesMetrics | undefined,
): (event: MigrationEvent) => void {
  return ({ type, id, direction, progress, error }) => {
    if (type !== 'migration-completed') {
      metrics?.migrationBatch(id, type === 'migration-batch-succeeded' ? 'succeeded' : 'failed');
    }
    if (emit.observed === false) return;
    emit({ type, routine, at: clock.wallNow(), migration: { id, direction, progress }, error });
  };
}

/** The cluster background routine that drives one migration while it holds its lease. */
function migrationRoutine(
  name: string,
  definition: MigrationDefinition,
  runner: MigrationRunner,
  driving: Map<string, number>,
): RoutineDeclaration {
  return {
    kind: 'background',
    name,
    source: MESSAGES.routineSource(definition.id),
    instance: {
      start: async (signal: AbortSignal, context: { epoch?: number }) => {
        const epoch = context.epoch ?? 0;
        driving.set(definition.id, epoch);
        try {
          await runner.run(signal, epoch);
        } finally {
          if (driving.get(definition.id) === epoch) driving.delete(definition.id);
        }
      },
    },
    options: {
      scope: 'cluster',
      description: MESSAGES.routineDescription(definition.id),
    },
  };
}

/** `routines['out-of-band-migrations']` applies to every migration's routine, under its own name. */
function spreadOverrides(
  overrides: Record<string, RoutineOverrides>,
  routines: Map<string, string>,
): Record<string, RoutineOverrides> {
  const shared = overrides[MIGRATION_RUNNER];
  if (shared === undefined) return overrides;
  const spread: Record<string, RoutineOverrides> = { ...overrides };
  delete spread[MIGRATION_RUNNER];
  for (const name of routines.values()) {
    const own = overrides[name];
    // Not an object: left as it is, for the checks to name.
    spread[name] =
      typeof shared === 'object' &&
      shared !== null &&
      (own === undefined || (typeof own === 'object' && own !== null))
        ? { ...shared, ...own }
        : (own ?? shared);
  }
  return spread;
}
