import type { Clock, TimerHandle } from './clock';
import { formatDuration } from './duration';

/**
 * The one holder discipline (DESIGN section 12): the timing rules of everything that holds
 * work for a while (a singleton's lease, a cluster run's marker, a worker's row, the migration
 * runner's lease), written once. Each user keeps its own storage, renewal call and wording.
 *
 * - The hold lives `ttlMs` after the engine received the call that took or renewed it. The
 *   holder only knows when it *sent* that call, so it counts from there on the monotonic
 *   clock: the engine cannot have started the ttl earlier.
 * - It gives the hold up at the renew deadline, two thirds of the ttl after the last renewal
 *   sent that succeeded: the work aborted then has a third of the ttl to wind down before
 *   anyone else may take over.
 * - `holds()` answers synchronously from the monotonic clock, so a process paused past its
 *   deadline (SIGSTOP, a frozen VM) reads false on waking, before any timer of its own has run.
 * - `onLost` runs once, at the deadline or when the user learns the hold is gone (a renewal
 *   refused): that is where the work is aborted.
 */
export class Hold {
  private heldUntil = -Infinity;
  private deadline: TimerHandle | undefined;
  private over = false;

  constructor(
    private readonly clock: Clock,
    readonly ttlMs: number,
    private readonly onLost: (cause: HoldExpiredError | unknown) => void,
  ) {}

  /**
   * The call that took or renewed the hold, sent at `sentAt` (monotonic), succeeded: the hold is
   * certainly ours until `sentAt` plus the renew deadline. Ignored once the hold is over; an
   * answer that comes back after the deadline has passed ends the hold instead.
   */
  renewed(sentAt: number): void {
    if (this.over) return;
    // Past the deadline the hold is over, even if its timer has not run yet (the process was
    // paused) and an answer arrives now: the work may already have been handed on.
    if (this.heldUntil !== -Infinity && this.clock.now() >= this.heldUntil) {
      return this.lose(new HoldExpiredError(this.ttlMs));
    }
    const until = sentAt + renewDeadline(this.ttlMs);
    if (until <= this.heldUntil) return; // an older call answering late
    this.heldUntil = until;
    if (this.deadline !== undefined) this.clock.clearTimer(this.deadline);
    this.deadline = this.clock.setTimer(until, () => {
      this.deadline = undefined;
      this.lose(new HoldExpiredError(this.ttlMs));
    });
  }

  /** Whether the hold is certainly still ours: taken, not over, and inside its renew deadline. */
  holds(): boolean {
    return !this.over && this.clock.now() < this.heldUntil;
  }

  /** Milliseconds left before the renew deadline (0 once past it or over). */
  remaining(): number {
    return this.over ? 0 : Math.max(0, this.heldUntil - this.clock.now());
  }

  /** Whether the hold has ended, lost or released. */
  get ended(): boolean {
    return this.over;
  }

  /** The hold is gone (a renewal refused, or the deadline passed): `onLost` runs, once. */
  lose(cause: unknown): void {
    if (this.over) return;
    this.end();
    this.onLost(cause);
  }

  /** The holder lets go of its own accord (the work ended): no `onLost`. */
  release(): void {
    if (!this.over) this.end();
  }

  private end(): void {
    this.over = true;
    this.heldUntil = -Infinity;
    if (this.deadline !== undefined) this.clock.clearTimer(this.deadline);
    this.deadline = undefined;
  }
}

/** Why a hold ended when no renewal succeeded before its renew deadline. */
export class HoldExpiredError extends Error {
  override readonly name = 'HoldExpiredError';

  constructor(ttlMs: number) {
    super(
      `no successful renewal within the renew deadline (${formatDuration(renewDeadline(ttlMs))} of a ${formatDuration(ttlMs)} ttl)`,
    );
  }
}

/** Two thirds of the ttl: the last third is the work's time to wind down after its abort. */
export function renewDeadline(ttlMs: number): number {
  return Math.floor((ttlMs * 2) / 3);
}
