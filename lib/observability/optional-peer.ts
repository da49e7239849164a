import { RoutinesConfigurationError } from '../core';

/**
 * Loads an optional peer dependency when the feature that needs it is turned on, and only
 * then: an app that does not use the feature never needs the package. A missing package is a
 * configuration error naming it and the option that asked for it.
 */
export async function loadOptionalPeer<T>(
  name: string,
  option: string,
  /** A named export the package has: where it is not on the namespace, `default` holds them. */
  expected: string,
): Promise<T> {
  try {
    const loaded = (await import(name)) as Record<string, unknown>;
    // A CommonJS package imported from ES modules may only have its exports on `default`.
    return (expected in loaded ? loaded : loaded.default) as T;
  } catch (error) {
    if (!isNotFound(error, name)) throw error;
    throw new RoutinesConfigurationError([
      {
        source: 'RoutinesModule options',
        option,
        value: true,
        message: `needs the package '${name}', which is not installed: npm install ${name}`,
      },
    ]);
  }
}

function isNotFound(error: unknown, name: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = String((error as { message?: unknown } | null)?.message ?? '');
  return (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && message.includes(name);
}
