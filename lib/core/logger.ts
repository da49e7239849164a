/**
 * Where a routine reports. Nest apps get Nest's `Logger` with the routine's name as
 * context; framework-free code gets {@link consoleRoutineLogger} unless it passes its own.
 */
export interface RoutineLogger {
  log(message: string): void;
  warn(message: string): void;
  /** `error` is the thrown value; loggers print its stack. */
  error(message: string, error?: unknown): void;
  debug?(message: string): void;
}

export function consoleRoutineLogger(name: string): RoutineLogger {
  const prefix = `[${name}]`;
  return {
    log: (message) => console.log(prefix, message),
    warn: (message) => console.warn(prefix, message),
    error: (message, error) =>
      error === undefined ? console.error(prefix, message) : console.error(prefix, message, error),
    debug: () => undefined,
  };
}

/** A message and a stack for any thrown value, including non-errors such as strings. */
export function describeError(error: unknown): { message: string; stack?: string } {
  if (error instanceof Error) return { message: error.message, stack: error.stack };
  return { message: typeof error === 'string' ? error : safeString(error) };
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    try {
      return String(value);
    } catch {
      return Object.prototype.toString.call(value); // e.g. '[object Object]'
    }
  }
}
