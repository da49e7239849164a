import type { RunContext } from './run-context';

/**
 * Returned by a handler to be run again at once, to drain a backlog. At most 100 in a row (`MAX_REINVOCATIONS`), then the normal
 * schedule applies.
 *
 * @example
 * async handle(signal: AbortSignal) {
 *   const batch = await this.queue.take(100);
 *   await this.process(batch, signal);
 *   return batch.length === 100 ? REINVOKE_IMMEDIATELY : undefined;
 * }
 */
export const REINVOKE_IMMEDIATELY: unique symbol = Symbol.for(
  'nestjs-routines.reinvoke-immediately',
);
export const MAX_REINVOCATIONS = 100;

export type HandlerResult = void | undefined | typeof REINVOKE_IMMEDIATELY;

/**
 * One run of a periodic routine. `signal` is the run's own: it aborts on shutdown and on the
 * run's `timeout`. `context` says which run this is (`runId`, `dueAt`, the cluster slot).
 */
export type HandlerFunction = (
  signal: AbortSignal,
  context: RunContext,
) => HandlerResult | Promise<HandlerResult> | Promise<unknown> | unknown;

/**
 * A periodic routine's handler: `handle` runs on every tick, `handleError` hears about every
 * failed run, and `onShutdown` runs once when the routine stops.
 *
 * @example
 * class CacheWarmer implements PeriodicHandler {
 *   async handle(signal: AbortSignal) { await this.cache.warm({ signal }); }
 *   handleError(error: unknown) { this.metrics.warmFailures.inc(); }
 *   async onShutdown() { await this.cache.flush(); }
 * }
 */
export interface PeriodicHandler {
  handle(signal: AbortSignal, context: RunContext): unknown;
  /**
   * @internal `false` when `handle` cannot listen to the signal: a wrapper (the Nest adapter's,
   * the tracer's) says it for the function it calls. Absent: it may.
   */
  readonly takesSignal?: boolean;
  /** Called with every failed run's error, after it is logged and counted. */
  handleError?(error: unknown): unknown;
  /** Called once, after the last run, when the routine stops. */
  onShutdown?(): unknown;
}

/**
 * A handler whose failures are logged under `message`, so a log line says which work failed.
 *
 * @example
 * const handler = handlerWithErrorMessage('hard-delete uploads', (signal) => store.hardDelete(signal));
 * const routine = new PeriodicRoutine(handler, { interval: '2m', name: 'hard-deleter' });
 */
export function handlerWithErrorMessage(
  message: string,
  fn: HandlerFunction,
): PeriodicHandler & { errorMessage: string } {
  return { handle: fn, errorMessage: message };
}

export function toPeriodicHandler(handler: PeriodicHandler | HandlerFunction): PeriodicHandler {
  return typeof handler === 'function' ? { handle: handler } : handler;
}

export function errorMessageOf(handler: PeriodicHandler): string | undefined {
  return (handler as { errorMessage?: string }).errorMessage;
}

/**
 * Whether a handler may listen to its run's signal. Only a wrapper that knows what it calls
 * says it cannot (the Nest adapter, from the parameters TypeScript recorded for the decorated
 * method); any other handler is assumed to, since a function's `length` misses wrappers
 * declared `(...args)` and `jest.fn()` mocks. When it cannot, its run's signal is handed to the
 * next run without asking Node whether a listener was left (see `PeriodicRun`).
 */
export function takesSignal(handler: PeriodicHandler): boolean {
  return handler.takesSignal !== false;
}
