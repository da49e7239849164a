import { Injectable, Module, type OnModuleDestroy } from '@nestjs/common';
import { ModuleRef, ModulesContainer } from '@nestjs/core';
import { RoutinesLifecycle } from './routines.lifecycle';

/**
 * Drains the routines before any other provider's `onModuleDestroy` runs, so that a service
 * which closes its client there (Prisma's Nest recipe does) closes it after the last run.
 *
 * Nest runs `onModuleDestroy` module by module, nearest to the root module first and global
 * modules last, and fixes that order when the app initialises. This host's module is given
 * the lowest distance while its provider is built, before Nest reads the order; its module
 * has no other provider, so being visited first on shutdown (and last on init, where it has
 * nothing to do) changes nothing else.
 */
@Injectable()
export class RoutinesDrain implements OnModuleDestroy {
  constructor(
    private readonly moduleRef: ModuleRef,
    modules: ModulesContainer,
  ) {
    visitFirstOnShutdown(modules);
  }

  async onModuleDestroy(): Promise<void> {
    await this.moduleRef.get(RoutinesLifecycle, { strict: false }).stop();
  }
}

@Module({ providers: [RoutinesDrain] })
export class RoutinesDrainModule {}

function visitFirstOnShutdown(modules: ModulesContainer): void {
  for (const moduleRef of modules.values()) {
    if (moduleRef.metatype === RoutinesDrainModule) moduleRef.distance = -Number.MAX_VALUE;
  }
}
