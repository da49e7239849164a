import { reportError, type RoutineLogger } from './logger';
import { isThenable } from './thenable';

/** Calls `fn` and returns its outcome as a promise: a synchronous throw becomes a rejection. */
export function invoke(fn: () => unknown): Promise<unknown> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Calls a user callback (`handleError`, `onShutdown`, `stop`) and logs under `what` whatever
 * it throws or rejects with. The promise, if the callback returned one, settles after it;
 * it never rejects.
 */
export function callAndReport(
  fn: () => unknown,
  logger: RoutineLogger,
  what: string,
): Promise<void> | undefined {
  const report = (error: unknown): void => reportError(logger, what, error);
  try {
    const result = fn();
    if (isThenable(result)) return Promise.resolve(result).then(() => undefined, report);
  } catch (error) {
    report(error);
  }
  return undefined;
}
