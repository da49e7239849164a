import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ClusterControls, CONTROLS_SETTINGS, ThisReplica } from '../controls';
import {
  controlsSettingsOf,
  DASHBOARD_SETTINGS,
  isGuard,
  normalizePath,
  resolveSettings,
} from './dashboard.settings';
import type {
  RoutinesDashboardAsyncOptions,
  RoutinesDashboardOptions,
} from './interfaces/dashboard-options.interface';
import { dashboardControllers } from './dashboard-controllers';
import { RoutinesCluster } from './routines-cluster';
import { DashboardAudit } from './dashboard-audit';
import { SameOriginGuard } from './same-origin.guard';

/**
 * The routines' status page, their JSON and (with `control: true`, behind a guard) the
 * endpoints that trigger, pause, resume and re-time them; with a Redis or PostgreSQL
 * coordinator, every replica on one page and cluster pauses that hold on all of them. Needs
 * `RoutinesModule` (global, as by default) in the same app. Bad options fail at bootstrap.
 *
 * @example
 * @Module({
 *   imports: [
 *     RoutinesModule.forRoot({ coordinator }),
 *     RoutinesDashboardModule.forRoot({ path: '/ops/routines', control: true, guards: [AdminGuard] }),
 *   ],
 * })
 * export class AppModule {}
 */
@Module({})
export class RoutinesDashboardModule {
  /** Mounts the dashboard with fixed options. */
  static forRoot(options: RoutinesDashboardOptions = {}): DynamicModule {
    const { path, guards, ...settings } = options ?? {};
    return this.define(path, guards, {
      provide: DASHBOARD_SETTINGS,
      useFactory: () => resolveSettings(path, guards, settings),
    });
  }

  /**
   * Mounts the dashboard with settings from a factory (e.g. `control` from ConfigService). The
   * path and guards are given directly: routes are declared before any factory runs.
   *
   * @example
   * RoutinesDashboardModule.forRootAsync({
   *   guards: [AdminGuard],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({ control: config.get('ROUTINES_CONTROL') === 'on' }),
   * });
   */
  static forRootAsync(options: RoutinesDashboardAsyncOptions): DynamicModule {
    const { path, guards, imports, inject, useFactory } = options;
    const module = this.define(path, guards, {
      provide: DASHBOARD_SETTINGS,
      inject: inject ?? [],
      useFactory: async (...args: never[]) =>
        resolveSettings(path, guards, await useFactory(...args), true),
    });
    return { ...module, imports: imports ?? [] };
  }

  private static define(
    path: unknown,
    guards: RoutinesDashboardOptions['guards'],
    settings: Provider,
  ): DynamicModule {
    const mountedAt = typeof path === 'string' ? normalizePath(path) : '/routines';
    // A bad guard would throw here, at import; it is reported with the other problems at bootstrap.
    const usable = Array.isArray(guards) ? guards.filter(isGuard) : [];
    return {
      module: RoutinesDashboardModule,
      controllers: dashboardControllers(mountedAt, usable),
      providers: [
        settings,
        // The cluster-wide controls are active where the dashboard is (they came with it).
        {
          provide: CONTROLS_SETTINGS,
          inject: [DASHBOARD_SETTINGS],
          useFactory: controlsSettingsOf,
        },
        ThisReplica,
        ClusterControls,
        RoutinesCluster,
        DashboardAudit,
        SameOriginGuard,
      ],
      exports: [RoutinesCluster, DashboardAudit],
    };
  }
}
