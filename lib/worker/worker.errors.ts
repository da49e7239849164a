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
