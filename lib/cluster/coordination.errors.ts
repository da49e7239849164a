import { MESSAGES } from './coordination.messages';

/**
 * A coordinator refused a call because its engine lost its state (or holds none at all: new,
 * or emptied) and the call could double a claim or a lease issued before: fail closed. It
 * clears by itself; the runtime counts it as a failed call and logs it once.
 */
export class CoordinatorStateLostError extends Error {
  override readonly name = 'CoordinatorStateLostError';
  constructor(
    readonly engine: string,
    readonly routine: string,
    /** Server time (ms) at which the loss was noticed. */
    readonly since: number,
    what: 'slot' | 'lease',
    value: number,
    /**
     * Set when the engine held no state at all from before `since` (new, or emptied: it
     * cannot tell) rather than lost this routine's: the one line the runtime logs, at info
     * level and once per engine, instead of a warning per routine.
     */
    readonly notice?: string,
  ) {
    const at = new Date(since).toISOString();
    super(
      notice !== undefined
        ? what === 'slot'
          ? MESSAGES.slotHeldBack(engine, routine, at, new Date(value).toISOString())
          : MESSAGES.leaseHeldBack(engine, routine, at, new Date(since + value).toISOString())
        : what === 'slot'
          ? MESSAGES.slotRefused(engine, routine, at, new Date(value).toISOString())
          : MESSAGES.leaseRefused(engine, routine, at, new Date(since + value).toISOString()),
    );
  }
}

/** A whole, positive number of milliseconds, as PX, PEXPIRE and interval arithmetic want. */
export function wholeMilliseconds(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(MESSAGES.invalidTtl(ttlMs));
  return Math.max(1, Math.ceil(ttlMs));
}

/** A value as a configuration error names it: the class of an object, else the value. */
export function describeValue(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  return `an instance of ${value.constructor?.name ?? 'Object'}`;
}
