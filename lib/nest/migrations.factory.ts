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
import {
  InMemoryMigrationStore,
  MigrationRunner,
  type MigrationDefinition,
  type MigrationBatchRecord,
  type MigrationEvent,
} from '../migrations';
import type { RoutinesMetrics } from '../observability/routines-metrics';
import { MIGRATION_RUNNER } from './constants';
import type { RoutineDeclaration } from './interfaces/routine-declaration.interface';
import { MESSAGES } from './nest.messages';
import type { DeclaredMigration } from './routines.explorer';

/** The app's out-of-band migrations, as the registry and the boot gate hold them. */
export interface BuiltMigrations {
  definitions: MigrationDefinition[];
  store: MigrationStateStore;
  /** Tells this replica's runner to look again now (a direction was set here). */
  wake(): void;
  /** The batches this replica's runner ran of a migration, newest first. */
  history(id: string, limit?: number): MigrationBatchRecord[];
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
 * Every `@OutOfBandMigration` of the app becomes a definition driven by one runner: the cluster
 * background routine `out-of-band-migrations`, which holds the lease on one replica and passes
 * its epoch to every batch.
 */
export function buildMigrations(
  found: readonly DeclaredMigration[],
  coordinator: Coordinator,
  clock: Clock,
  emit: RoutineEventListener,
  metrics?: RoutinesMetrics,
): {
  built: BuiltMigrations;
  declaration?: RoutineDeclaration;
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
  const store = migrationStoreOf(coordinator);
  const built: BuiltMigrations = {
    definitions,
    store,
    wake: () => undefined,
    history: () => [],
  };
  if (definitions.length === 0 || problems.length > 0) return { built, problems };
  const runner = new MigrationRunner(store, definitions, {
    clock,
    logger: new Logger(MIGRATION_RUNNER),
    onEvent: ({ type, id, direction, progress, error }: MigrationEvent) => {
      if (type !== 'migration-completed') {
        metrics?.migrationBatch(id, type === 'migration-batch-succeeded' ? 'succeeded' : 'failed');
      }
      if (emit.observed === false) return;
      emit({
        type,
        routine: MIGRATION_RUNNER,
        at: Date.now(),
        migration: { id, direction, progress },
        error,
      });
    },
  });
  built.wake = () => runner.wake();
  built.history = (id, limit) => runner.history(id, limit);
  const declaration: RoutineDeclaration = {
    kind: 'background',
    name: MIGRATION_RUNNER,
    source: 'RoutinesModule (out-of-band migrations)',
    instance: {
      start: (signal: AbortSignal, context: { epoch?: number }) =>
        runner.run(signal, context.epoch ?? 0),
    },
    options: {
      scope: 'cluster',
      description: `runs the out-of-band migrations ${definitions.map((d) => `'${d.id}'`).join(', ')}, one batch per interval, on one replica`,
    },
  };
  return { built, declaration, problems };
}
