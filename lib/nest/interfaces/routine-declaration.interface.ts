import type { BackgroundOptions, IntervalSpec, PeriodicOptions } from '../../core';

/** Options shared by `@Periodic` and `@BackgroundRoutine`. */
export interface CommonRoutineOptions {
  /** Unique per app. Default: `ClassName` for a class, `ClassName.method` for a method. */
  name?: string;
  description?: string;
  /** Default: true. A disabled routine is listed in the registry, never started, and can still be triggered. */
  enabled?: boolean;
}

/** Options of `@Periodic`. */
export interface PeriodicRoutineDecoratorOptions extends PeriodicOptions, CommonRoutineOptions {}

/** Options of `@BackgroundRoutine`. */
export interface BackgroundRoutineDecoratorOptions
  extends BackgroundOptions, CommonRoutineOptions {}

/** What the decorators store as metadata. */
export type PeriodicMetadata = PeriodicRoutineDecoratorOptions;
export type BackgroundMetadata = BackgroundRoutineDecoratorOptions;

/** A routine found on a provider, before it is built. */
export interface RoutineDeclaration {
  kind: 'periodic' | 'background';
  name: string;
  /** `ClassName` or `ClassName.method`, for messages. */
  source: string;
  methodName?: string;
  /** The decorated method as found on the class (its prototype chain). */
  method?: unknown;
  instance: object;
  options: PeriodicRoutineDecoratorOptions | BackgroundRoutineDecoratorOptions;
  /**
   * How the provider was registered, for messages: `UploadsService`, `'UPLOADS_ALIAS'`; with
   * its module when one token is registered in two modules.
   */
  registration?: string;
}

export type { IntervalSpec };
