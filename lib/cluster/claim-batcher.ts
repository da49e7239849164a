import { newToken } from './new-token';
import { wholeMilliseconds } from './coordination.errors';

/** A claim waiting for its batch to be sent. */
export interface PendingClaim {
  readonly routine: string;
  readonly slot: number;
  /** Whole milliseconds. */
  readonly ttlMs: number;
  /** The claimant's token (see `Coordinator.releaseSlot`), or one made for it. */
  readonly token: string;
  /** A `backfill()` claim: not refused for falling before the engine's memory. */
  readonly backfill: boolean;
  resolve(won: boolean): void;
  reject(error: unknown): void;
}

/**
 * Gathers the claims asked for in one turn of the event loop (routines on one grid point fire
 * together) and hands them to `send` in batches of at most `maxBatch`, once the turn's timers
 * have all run: one round trip for all of them instead of one each. `send` settles every
 * claim it is given.
 */
export class ClaimBatcher {
  private queue: PendingClaim[] = [];
  private scheduled = false;

  constructor(
    private readonly maxBatch: number,
    private readonly send: (claims: PendingClaim[]) => void,
  ) {}

  claim(
    routine: string,
    slot: number,
    ttlMs: number,
    token = newToken(),
    backfill = false,
  ): Promise<boolean> {
    const ttl = wholeMilliseconds(ttlMs);
    return new Promise((resolve, reject) => {
      this.queue.push({ routine, slot, ttlMs: ttl, token, backfill, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) this.send(this.queue.splice(0, this.maxBatch));
  }
}
