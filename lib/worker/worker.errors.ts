import type { StopCause } from './interfaces/job.interface';
import { MESSAGES } from './worker.messages';

/** Thrown by a handler for a job that must not be retried: the row goes to `failed` at once. */
export class NonRetryableError extends Error {
  override readonly name = 'NonRetryableError';
}

/**
 * `error instanceof NonRetryableError`, false where asking throws: a thrown Proxy whose
 * `getPrototypeOf` trap throws is an ordinary failure, retried, not a crash of the worker.
 */
export function isNonRetryable(error: unknown): boolean {
  try {
    return error instanceof NonRetryableError;
  } catch {
    return false;
  }
}

/** `enqueue` refused a payload over `maxPayloadBytes`. */
export class PayloadTooLargeError extends RangeError {
  override readonly name = 'PayloadTooLargeError';

  constructor(
    readonly queue: string,
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(MESSAGES.payloadTooLarge(queue, bytes, maxBytes));
  }
}

/**
 * Why a job stopped, as its signal's reason and its record give it: `JobTimeout`,
 * `JobCancelled`, `JobLost`, `JobRequeued`. Plain errors with a name (not classes): that is what
 * handlers and job histories have always seen.
 */
export function jobStopError(cause: StopCause, timeoutMs?: number, lostWhy?: string): Error {
  const [name, message] = {
    timeout: ['JobTimeout', MESSAGES.timedOut(timeoutMs)],
    cancel: ['JobCancelled', MESSAGES.cancelled],
    lost: ['JobLost', lostWhy ?? MESSAGES.lostDefault],
    shutdown: ['JobRequeued', MESSAGES.handedBack],
  }[cause];
  const error = new Error(message);
  error.name = name;
  return error;
}
