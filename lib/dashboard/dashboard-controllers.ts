import { Controller, UseGuards, type Type } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { RoutinesRegistry } from '../nest/routines.registry';
import type { DashboardGuard } from './interfaces/dashboard-options.interface';
import { RoutinesHistoryController } from './history.controller';
import { JobsController } from './jobs.controller';
import { RoutinesControlController } from './routines-control.controller';
import { RoutinesDashboardController } from './routines-dashboard.controller';
import { RoutinesCluster } from './routines-cluster';
import { AuditController } from './audit.controller';
import { DashboardAudit } from './dashboard-audit';

/**
 * Each controller of the dashboard: its base class, the name Nest's logs give it, and its
 * constructor's parameter types for Nest's injector (as the decorators on the base class would
 * give; `Object` stands for a token injected with `@Inject`).
 */
const CONTROLLERS: ReadonlyArray<{ base: Type; name: string; paramtypes: unknown[] }> = [
  {
    base: RoutinesDashboardController,
    name: 'RoutinesDashboardController',
    paramtypes: [RoutinesRegistry, RoutinesCluster, Object],
  },
  {
    base: RoutinesControlController,
    name: 'RoutinesControlController',
    paramtypes: [RoutinesCluster, Object, HttpAdapterHost, DashboardAudit],
  },
  {
    base: RoutinesHistoryController,
    name: 'RoutinesHistoryController',
    paramtypes: [RoutinesRegistry, RoutinesCluster, Object],
  },
  { base: AuditController, name: 'RoutinesAuditController', paramtypes: [DashboardAudit] },
  {
    base: JobsController,
    name: 'RoutinesJobsController',
    paramtypes: [RoutinesRegistry, Object, DashboardAudit],
  },
];

/**
 * The controllers of one `forRoot`: subclasses declared at `path` with the app's guards, so that
 * two apps in one process may mount the dashboard at different paths.
 */
export function dashboardControllers(path: string, guards: readonly DashboardGuard[]): Type[] {
  return CONTROLLERS.map(({ base, name, paramtypes }) => {
    const controller = class extends base {};
    Controller(path)(controller);
    if (guards.length > 0) UseGuards(...guards)(controller);
    Reflect.defineMetadata('design:paramtypes', paramtypes, controller);
    Object.defineProperty(controller, 'name', { value: name });
    return controller;
  });
}
