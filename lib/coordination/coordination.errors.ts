/**
 * A coordinator refused a call because its engine lost its state (or is used for the first
 * time) and the call could double a claim or a lease issued before: fail closed. It clears
 * by itself; the runtime counts it as a failed call and logs it once.
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
  ) {
    super(
      what === 'slot'
        ? `${engine} lost its state for '${routine}' (or is new to it) at ${new Date(since).toISOString()}: slot ${new Date(value).toISOString()} may have run before, so it is refused; later slots run`
        : `${engine} lost its state for '${routine}' (or is new to it) at ${new Date(since).toISOString()}: no replica takes the lease before ${new Date(since + value).toISOString()}, when any lease issued before has expired`,
    );
  }
}

/** A whole, positive number of milliseconds, as PX, PEXPIRE and interval arithmetic want. */
export function wholeMilliseconds(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`invalid ttl: ${ttlMs} ms`);
  return Math.max(1, Math.ceil(ttlMs));
}

/** A value as a configuration error names it: the class of an object, else the value. */
export function describeValue(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value);
  return `an instance of ${value.constructor?.name ?? 'Object'}`;
}
