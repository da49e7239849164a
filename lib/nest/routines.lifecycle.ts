import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import {
  checkDuration,
  InMemoryCoordinator,
  RoutinesConfigurationError,
  type ConfigurationProblem,
} from '../core';
import { DEFAULT_SHUTDOWN_TIMEOUT } from './constants';
import type { RoutinesModuleOptions } from './interfaces/routines-module-options.interface';
import { buildRoutines } from './routine.factory';
import { ROUTINES_MODULE_OPTIONS } from './routines.module-definition';
import { RoutinesExplorer } from './routines.explorer';
import { RoutinesRegistry } from './routines.registry';

/**
 * Ties routines to Nest's lifecycle: checks and builds them once every provider exists
 * (`onModuleInit`), starts them on `onApplicationBootstrap`, and stops them on
 * `onModuleDestroy`.
 *
 * Why `onModuleDestroy`: it is the first step of Nest's shutdown, before
 * `beforeApplicationShutdown`, before the HTTP server closes and before
 * `onApplicationShutdown`, where ORMs and clients close their pools. Each module's hook is
 * awaited in turn, so while routines drain here, database pools and HTTP clients are
 * still open for the runs that are finishing.
 */
@Injectable()
export class RoutinesLifecycle implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RoutinesModule');

  constructor(
    private readonly explorer: RoutinesExplorer,
    private readonly registry: RoutinesRegistry,
    @Inject(ROUTINES_MODULE_OPTIONS) private readonly options: RoutinesModuleOptions,
  ) {}

  onModuleInit(): void {
    const coordinator = this.options?.coordinator ?? new InMemoryCoordinator();
    const { declarations, problems: found } = this.explorer.explore();
    const { built, problems } = buildRoutines(declarations, {
      overrides: this.options?.routines ?? {},
      coordinator,
      onEvent: this.registry.emit,
    });
    const all = [...found, ...problems, ...moduleOptionProblems(this.options)];
    if (all.length > 0) throw new RoutinesConfigurationError(all);
    this.registry.register(built);
    const cluster = built.filter(
      (entry) => entry.enabled && entry.routine.info().scope === 'cluster',
    );
    if (cluster.length > 0 && coordinator.kind === 'memory') {
      this.logger.warn(
        `Cluster-scoped routine(s) ${cluster.map((entry) => entry.routine.name).join(', ')} run on the in-memory coordinator: ` +
          'exclusive within this process only. Pass a RedisCoordinator or PostgresCoordinator as `coordinator` when running several replicas.',
      );
    }
  }

  onApplicationBootstrap(): void {
    if (this.options?.autoStart !== false) this.registry.startAll();
  }

  async onModuleDestroy(): Promise<void> {
    await this.registry.stopAll(this.options?.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT);
  }
}

function moduleOptionProblems(options: RoutinesModuleOptions | undefined): ConfigurationProblem[] {
  const problems: ConfigurationProblem[] = [];
  const source = 'RoutinesModule options';
  checkDuration(problems, 'shutdownTimeout', options?.shutdownTimeout);
  const coordinator = options?.coordinator as { claimSlot?: unknown } | undefined;
  if (coordinator !== undefined && typeof coordinator?.claimSlot !== 'function') {
    problems.push({
      option: 'coordinator',
      value: typeof coordinator,
      message:
        'must implement the Coordinator contract (claimSlot, acquireLease, renewLease, releaseLease)',
    });
  }
  return problems.map((problem) => ({ ...problem, source }));
}
