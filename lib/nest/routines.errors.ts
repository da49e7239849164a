import { MESSAGES } from './nest.messages';

/**
 * What `RoutinesRegistry` throws (or rejects with) when asked about a name it does not know.
 * Map it to a 404 in a controller.
 *
 * @example
 * try {
 *   return await this.routines.trigger(name);
 * } catch (error) {
 *   if (error instanceof RoutineNotFoundError) throw new NotFoundException(error.message);
 *   throw error;
 * }
 */
export class RoutineNotFoundError extends Error {
  override readonly name = 'RoutineNotFoundError';

  constructor(
    /** The name asked for. */
    readonly routine: string,
    /** The names the registry knows, in declaration order. */
    readonly known: readonly string[],
  ) {
    super(MESSAGES.routineNotFound(routine, known));
  }
}

/**
 * An action a routine cannot take in its kind or state: `trigger` of a background routine,
 * `resume` of a disabled or stopped one, `setInterval` of a cron routine to an interval,
 * `remove` of a decorated one. The message says why and what to do instead. Map it to a 409.
 */
export class RoutineActionError extends Error {
  override readonly name = 'RoutineActionError';

  constructor(
    readonly routine: string,
    /** The registry method: `trigger`, `pause`, `resume`, `setInterval`, `start`, `remove`... */
    readonly action: string,
    /** Why it cannot, and what to do instead. */
    readonly reason: string,
  ) {
    super(MESSAGES.actionRefused(routine, action, reason));
  }
}
