import type { Type } from '@nestjs/common';
import type { ModulesContainer } from '@nestjs/core';

/**
 * The library's one use of a Nest internal, kept here alone: the module that drains the
 * routines is made the first one Nest visits on shutdown.
 *
 * Why it cannot be avoided: routines must drain before any other provider's
 * `onModuleDestroy`, because services close their clients there (Prisma's Nest recipe), in
 * the root module as well as anywhere else. Nest's public lifecycle has no hook before
 * `onModuleDestroy`, and it runs that hook module by module in the order of each module's
 * `distance` (its depth below the root module, the root first, global modules last), an
 * order it fixes once, at the first lifecycle hook. No module the library brings can be
 * visited before the root module but by lowering its `distance`: an accessor pair Nest's
 * `Module` class declares in its typings, but no documented API (tested on Nest 11 in
 * `.ci/nest11-smoke.sh`, on Nest 12 in the e2e tests, and the fallback in
 * `test/e2e/shutdown-order.e2e.spec.ts`).
 *
 * Fallback: if a Nest release drops or freezes the field, nothing is written and this returns
 * false; the routines then drain in `RoutinesLifecycle.onModuleDestroy` (global modules are
 * visited last in that phase): after other providers' `onModuleDestroy`, still before every
 * `beforeApplicationShutdown` and `onApplicationShutdown` and before the HTTP server closes.
 * The caller logs that the order could not be set.
 *
 * @returns whether the module will be visited first on shutdown.
 */
export function visitFirstOnShutdown(modules: ModulesContainer, metatype: Type): boolean {
  for (const moduleRef of modules.values()) {
    if (moduleRef.metatype !== metatype) continue;
    const host = moduleRef as { distance?: unknown };
    if (typeof host.distance !== 'number') return false;
    try {
      host.distance = -Number.MAX_VALUE;
    } catch {
      return false; // a getter without a setter, or a frozen object
    }
    return host.distance === -Number.MAX_VALUE;
  }
  return false;
}
