import type {
  BackgroundFunction,
  BackgroundHandler,
  HandlerFunction,
  PeriodicHandler,
} from '../../core';
import type {
  BackgroundRoutineDecoratorOptions,
  PeriodicRoutineDecoratorOptions,
} from './routine-declaration.interface';

/** Options of {@link RoutinesRegistry.add}: a periodic routine's (the default) or a background one's. */
export type AddRoutineOptions =
  | (PeriodicRoutineDecoratorOptions & { kind?: 'periodic' })
  | (BackgroundRoutineDecoratorOptions & { kind: 'background' });

/** What {@link RoutinesRegistry.add} runs: a periodic handler or a background one, as function or object. */
export type AddedHandler =
  HandlerFunction | PeriodicHandler | BackgroundFunction | BackgroundHandler;
