/**
 * Nest apps built programmatically for the scenarios: N provider classes, each a distinct
 * class with its own `run` method, decorated through the decorator functions exactly as
 * the TypeScript compiler would apply them.
 */
import 'reflect-metadata';
import { Injectable, Module, type DynamicModule, type Type } from '@nestjs/common';
import { Interval, ScheduleModule } from '@nestjs/schedule';
import {
  Periodic,
  RoutinesModule,
  type PeriodicRoutineDecoratorOptions,
  type RoutinesModuleOptions,
} from '../lib';

/** Which scheduler decorates the providers' `run` methods. */
export type Scheduler = 'ours' | 'schedule' | 'none';

export type RunMethod = (this: unknown, signal?: AbortSignal) => unknown;

export interface AppSpec {
  scheduler: Scheduler;
  /** Provider classes in the app. */
  providers: number;
  /** How many of them carry a decorated `run` method (the first ones). Default: all. */
  decorated?: number;
  intervalMs: number;
  /** Our `@Periodic` options besides the interval (the baseline has none to match). */
  periodicOptions?: PeriodicRoutineDecoratorOptions;
  /**
   * Builds the body of provider i's `run` method. Called once per class, so every class
   * gets its own function object (metadata lives on the method function).
   */
  makeRun: (index: number) => RunMethod;
  /** Our module's options (history, metrics, tracing...). */
  moduleOptions?: RoutinesModuleOptions;
}

/** A root module holding the providers and, for a scheduler, its module. */
export function buildAppModule(spec: AppSpec): Type<unknown> {
  const decorated = spec.decorated ?? spec.providers;
  const providers: Type<unknown>[] = [];
  for (let i = 0; i < spec.providers; i++) {
    const run = spec.makeRun(i);
    const cls = class {};
    Object.defineProperty(cls, 'name', { value: `Provider${i}` });
    Object.defineProperty(cls.prototype, 'run', {
      value: run,
      writable: true,
      configurable: true,
      enumerable: false,
    });
    if (i < decorated) {
      // What tsc emits for a decorated method under emitDecoratorMetadata: `run()` has no parameter.
      Reflect.defineMetadata('design:paramtypes', [], cls.prototype, 'run');
      const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, 'run')!;
      if (spec.scheduler === 'ours') {
        Periodic(spec.intervalMs, spec.periodicOptions)(cls.prototype, 'run', descriptor);
      } else if (spec.scheduler === 'schedule') {
        Interval(spec.intervalMs)(cls.prototype, 'run', descriptor);
      }
    }
    Injectable()(cls);
    providers.push(cls);
  }
  const imports: DynamicModule[] = [];
  if (spec.scheduler === 'ours') imports.push(RoutinesModule.forRoot(spec.moduleOptions));
  if (spec.scheduler === 'schedule') imports.push(ScheduleModule.forRoot());
  class BenchAppModule {}
  Module({ imports, providers })(BenchAppModule);
  return BenchAppModule;
}
