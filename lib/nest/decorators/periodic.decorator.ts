import { isCronSpec, type IntervalSpec, type PeriodicHandler } from '../../core';
import { PERIODIC_METADATA } from '../constants';
import { routineDecorator } from './routine.decorator';
import type { PeriodicRoutineDecoratorOptions } from '../interfaces/routine-declaration.interface';

/**
 * Declares a periodic routine: on a method, that method runs on the schedule; on a class,
 * the class implements {@link PeriodicHandler} (`handle`, optional `handleError` and
 * `onShutdown`). Runs never overlap beyond `concurrency`; every run gets an AbortSignal
 * that aborts on shutdown and on `timeout`.
 *
 * `interval` is a duration ('2m', '90s', '1.5h', milliseconds) or `{ cron, timeZone? }`
 * (`CronExpression` constants from `@nestjs/schedule` work). Module options for the
 * routine's name override everything given here.
 *
 * @example
 * @Injectable()
 * export class UploadJanitor {
 *   @Periodic('2m', { name: 'hard-deleter' })
 *   async hardDelete(signal: AbortSignal) {
 *     await this.uploads.hardDeleteSoftDeleted({ signal });
 *   }
 * }
 */
export function Periodic(
  interval: IntervalSpec,
  options?: PeriodicRoutineDecoratorOptions,
): ClassDecorator & MethodDecorator;
export function Periodic(
  options?: PeriodicRoutineDecoratorOptions,
): ClassDecorator & MethodDecorator;
export function Periodic(
  intervalOrOptions?: IntervalSpec | PeriodicRoutineDecoratorOptions,
  options: PeriodicRoutineDecoratorOptions = {},
): ClassDecorator & MethodDecorator {
  const metadata: PeriodicRoutineDecoratorOptions = isIntervalSpec(intervalOrOptions)
    ? { ...options, interval: intervalOrOptions }
    : { ...(intervalOrOptions ?? {}) };
  return routineDecorator(PERIODIC_METADATA, metadata);
}

function isIntervalSpec(value: unknown): value is IntervalSpec {
  return typeof value === 'string' || typeof value === 'number' || isCronSpec(value);
}

/** A class decorated with `@Periodic` implements this. */
export type { PeriodicHandler };
