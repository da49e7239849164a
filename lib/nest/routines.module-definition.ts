import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { RoutinesModuleOptions } from './interfaces/routines-module-options.interface';

export const {
  ConfigurableModuleClass: ConfigurableRoutinesModule,
  MODULE_OPTIONS_TOKEN: ROUTINES_MODULE_OPTIONS,
  OPTIONS_TYPE: ROUTINES_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: ROUTINES_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<RoutinesModuleOptions>({ moduleName: 'Routines' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createRoutinesOptions')
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
