/**
 * Where a routine reports. Nest apps get Nest's `Logger` with the routine's name as
 * context; framework-free code gets a console logger (`consoleRoutineLogger`) unless it passes
 * its own.
 */
export interface RoutineLogger {
  log(message: string): void;
  warn(message: string): void;
  /**
   * `stack`: the thrown value's stack, when it has one. The message already describes the
   * value (a thrown string is in it, and is not passed again).
   */
  error(message: string, stack?: string): void;
  debug?(message: string): void;
}

export function consoleRoutineLogger(name: string): RoutineLogger {
  const prefix = `[${name}]`;
  return {
    log: (message) => console.log(prefix, message),
    warn: (message) => console.warn(prefix, message),
    error: (message, stack) =>
      stack === undefined ? console.error(prefix, message) : console.error(prefix, message, stack),
    debug: () => undefined,
  };
}

/**
 * Logs `what: <message>` at error level with the value's stack, if it has one. Never throws:
 * neither a hostile thrown value nor a logger that throws may take a routine down.
 */
export function reportError(logger: RoutineLogger, what: string, error: unknown): void {
  const { message, stack } = describeError(error);
  try {
    logger.error(`${what}: ${message}`, stack);
  } catch {
    // the app's logger failed; the routine goes on
  }
}

/**
 * A message and a stack for any thrown value, including non-errors such as strings. Never
 * throws, whatever it is given: an error whose `message` or `stack` getter throws, a Proxy
 * that throws on every access, a revoked Proxy, a Symbol, a null-prototype object.
 */
export function describeError(error: unknown): { message: string; stack?: string } {
  if (typeof error === 'string') return { message: error };
  if (isError(error)) {
    const stack = read(error, 'stack');
    return {
      message: safeString(read(error, 'message')),
      stack: typeof stack === 'string' ? stack : undefined,
    };
  }
  return { message: safeString(error) };
}

/**
 * A thrown value as plain data: `{ name, message }`, `NonError` as the name of a value that is
 * not an Error. What the registry, the run history and the dashboard show; never throws.
 */
export function summarizeError(error: unknown): { name: string; message: string } {
  const { message } = describeError(error);
  if (!isError(error)) return { name: 'NonError', message };
  const name = read(error, 'name');
  return { name: typeof name === 'string' ? name : 'Error', message };
}

/** `value instanceof Error`, false where asking throws (a Proxy's getPrototypeOf trap). */
export function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

function read(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function safeString(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    // cyclic, a BigInt, a throwing toJSON or getter, a Proxy: try plainer ways
  }
  try {
    return String(value);
  } catch {
    // a null-prototype object, a throwing toString, a revoked Proxy
  }
  try {
    return Object.prototype.toString.call(value); // e.g. '[object Object]'
  } catch {
    return `[unprintable ${typeof value}]`;
  }
}
