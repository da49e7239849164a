import { Injectable, Logger, Module, type OnModuleDestroy } from '@nestjs/common';
import { ModuleRef, ModulesContainer } from '@nestjs/core';
import { MESSAGES } from './nest.messages';
import { RoutinesLifecycle } from './routines.lifecycle';
import { visitFirstOnShutdown } from './shutdown-order';

/**
 * Drains the routines before any other provider's `onModuleDestroy` runs, so that a service
 * which closes its client there (Prisma's Nest recipe does) closes it after the last run.
 *
 * Its module has no other provider and is made the first one Nest visits on shutdown (and
 * the last on init, where it has nothing to do): see `shutdown-order.ts`, the one place that
 * relies on a Nest internal, and its fallback.
 */
@Injectable()
export class RoutinesDrain implements OnModuleDestroy {
  constructor(
    private readonly moduleRef: ModuleRef,
    modules: ModulesContainer,
  ) {
    if (!visitFirstOnShutdown(modules, RoutinesDrainModule)) {
      new Logger('RoutinesModule').warn(MESSAGES.drainOrderUnavailable);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.moduleRef.get(RoutinesLifecycle, { strict: false }).stop();
  }
}

@Module({ providers: [RoutinesDrain] })
export class RoutinesDrainModule {}
