import { Module, type DynamicModule, type FactoryProvider, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { RoutinesDrainModule } from './routines-drain.module';
import { RoutinesExplorer } from './routines.explorer';
import { RoutinesLifecycle } from './routines.lifecycle';
import {
  ConfigurableRoutinesModule,
  ROUTINES_ASYNC_OPTIONS_TYPE,
  ROUTINES_MODULE_OPTIONS,
  ROUTINES_OPTIONS_TYPE,
} from './routines.module-definition';
import type { RoutinesModuleOptions } from './interfaces/routines-module-options.interface';
import { checkedOptionsFactory, refuseUnknownModuleOptions } from './unknown-module-options';
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
    const { isGlobal: _isGlobal, ...moduleOptions } = options ?? {};
    refuseUnknownModuleOptions(moduleOptions, 'RoutinesModule.forRoot');
    return super.forRoot(options);
  }

  /**
   * Registers the module with options built by a factory, class or existing provider (e.g.
   * from ConfigService). What it builds is checked as it resolves: an unknown key fails there.
   */
  static forRootAsync(options: typeof ROUTINES_ASYNC_OPTIONS_TYPE): DynamicModule {
    const module = super.forRootAsync(options);
    return {
      ...module,
      providers: module.providers?.map((provider) =>
        isOptionsFactory(provider)
          ? {
              ...provider,
              useFactory: checkedOptionsFactory(provider.useFactory, 'RoutinesModule.forRootAsync'),
            }
          : provider,
      ),
    };
  }
}

/** The provider of the module options that `forRootAsync` defines (always a factory). */
function isOptionsFactory(provider: Provider): provider is FactoryProvider<RoutinesModuleOptions> {
  return (
    typeof provider === 'object' &&
    'provide' in provider &&
    provider.provide === ROUTINES_MODULE_OPTIONS &&
    'useFactory' in provider &&
    typeof provider.useFactory === 'function'
  );
}
