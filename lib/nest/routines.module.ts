import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { RoutinesDrainModule } from './routines-drain.module';
import { RoutinesExplorer } from './routines.explorer';
import { RoutinesLifecycle } from './routines.lifecycle';
import {
  ConfigurableRoutinesModule,
  ROUTINES_ASYNC_OPTIONS_TYPE,
  ROUTINES_OPTIONS_TYPE,
} from './routines.module-definition';
import { RoutinesRegistry } from './routines.registry';

/**
 * Discovers `@Periodic` and `@BackgroundRoutine` routines, starts them on application
 * bootstrap and stops them gracefully on shutdown. Global by default (`isGlobal: false`
 * to opt out).
 *
 * @example
 * @Module({
 *   imports: [
 *     RoutinesModule.forRootAsync({
 *       imports: [ConfigModule],
 *       inject: [ConfigService],
 *       useFactory: (config: ConfigService) => ({
 *         shutdownTimeout: '10s',
 *         routines: { 'hard-deleter': { interval: config.get('HARD_DELETE_INTERVAL', '2m') } },
 *       }),
 *     }),
 *   ],
 * })
 * export class AppModule {}
 */
@Module({
  imports: [DiscoveryModule, RoutinesDrainModule],
  providers: [RoutinesExplorer, RoutinesRegistry, RoutinesLifecycle],
  exports: [RoutinesRegistry],
})
export class RoutinesModule extends ConfigurableRoutinesModule {
  /** Registers the module with options; `forRoot()` alone uses the defaults. */
  static forRoot(options: typeof ROUTINES_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }

  /** Registers the module with options built by a factory, class or existing provider (e.g. from ConfigService). */
  static forRootAsync(options: typeof ROUTINES_ASYNC_OPTIONS_TYPE): DynamicModule {
    return super.forRootAsync(options);
  }
}
