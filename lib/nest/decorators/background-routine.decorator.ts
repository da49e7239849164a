import type { BackgroundHandler } from '../../core';
import { BACKGROUND_ROUTINE_METADATA } from '../constants';
import { routineDecorator } from './routine.decorator';
import type { BackgroundRoutineDecoratorOptions } from '../interfaces/routine-declaration.interface';

/**
 * What a class decorated with `@BackgroundRoutine()` implements: a start and an optional stop.
 * `start(signal, context)` runs for the routine's life and returns once `signal` aborts;
 * `stop()` is optional, for work that does not watch the signal. `context.epoch` is the
 * cluster lease's fencing epoch.
 */
export type BackgroundRoutine = BackgroundHandler;

/**
 * Declares a long-running routine: on a method, the method is its `start(signal, context)`;
 * on a class, the class implements {@link BackgroundRoutine}. A routine that rejects is
 * restarted with exponential, jittered backoff under `restart`; past it, it is marked
 * `failed` and the rest of the app keeps running.
 *
 * @example
 * @Injectable()
 * export class QueueConsumer {
 *   @BackgroundRoutine({ name: 'queue-consumer', restart: { maxRestarts: 5, within: '1m' } })
 *   async consume(signal: AbortSignal) {
 *     while (!signal.aborted) await this.queue.takeAndWork(signal);
 *   }
 * }
 */
export function BackgroundRoutine(
  options: BackgroundRoutineDecoratorOptions = {},
): ClassDecorator & MethodDecorator {
  return routineDecorator(BACKGROUND_ROUTINE_METADATA, { ...options });
}
