import type { Clock, TimerHandle } from '../core/clock';
import { ClusterOverlap, type ClusterOverlapHost, type MarkerTiming } from './cluster-overlap';
import { newToken } from './new-token';
import type { Coordinator } from './ports/coordinator';
import type { SlotClaims as SlotClaimsPort } from './ports/slot-claims';
import {
  reportCoordinatorFailure,
  reportCoordinatorSuccess,
  type OutageSource,
} from './coordinator-outage';
import { MESSAGES } from '../core/core.messages';
import { withDeadline } from '../core/deadline';
import { InMemoryCoordinator } from './in-memory-coordinator';
import { MAX_TIMER_MS } from '../core/duration';
import { describeError, type RoutineLogger } from '../core/logger';
import type { ClusterStatus, SkipReason } from '../core/routine';
import type { Schedule } from '../core/schedule';

/**
 * What slot claims ask of the coordinator: its slots, its run markers when it keeps them (for
 * cluster-wide overlap), and its `kind` (outages are kept and logged per engine).
 */
export type SlotClaimEngine = SlotClaimsPort & OutageSource & Pick<Coordinator, 'runs'>;

/** What slot claims need from their periodic routine. */
export interface SlotClaimHost extends ClusterOverlapHost {
  readonly name: string;
  readonly clock: Clock;
  readonly logger: RoutineLogger;
  readonly timetable: Schedule;
  /** Running or paused: a slot won now may still run. */
  isLive(): boolean;
  /** Running: ticks are being scheduled. */
  isRunning(): boolean;
  /** Running, with room for one more run under its concurrency. */
  canRunMore(): boolean;
  /** A claim or hand-back is in flight: it holds a concurrency slot and shutdown waits for it. */
  hold(): void;
  release(): void;
  skip(due: number, reason: SkipReason): void;
  /** Runs a won slot; `armsNextTick` as the tick that claimed it asked; `catchingUp`: a late due time `catchup` claimed. */
  runSlot(due: number, armsNextTick: boolean, catchingUp: boolean): void;
  /** The claim ended without a run here (lost, failed, late): interval functions arm the next tick, catch-up goes on. */
  slotNotRun(armsNextTick: boolean, catchingUp: boolean): void;
}

/** A slot must start within this fraction of the gap to the next slot, or not at all. */
const CLAIM_WINDOW_FRACTION = 0.5;
const MAX_CLAIM_WINDOW_MS = 10_000;
const MIN_CLAIM_TTL_MS = 5 * 60_000;
const CRON_TTL_BASE_MS = 60_000;

/** How a claim came about: a tick's, a recheck after a lost claim, or a late due time `catchup` runs. */
interface ClaimRequest {
  due: number;
  window: number;
  catchingUp: boolean;
  recheck: boolean;
  armsNextTick: boolean;
}

/**
 * Cluster scope: before a periodic routine runs a slot (routine + grid point or cron time),
 * it claims it through the coordinator, on time or not at all.
 *
 * - A claim has until the slot's due time plus its window (half the gap to the next slot, at
 *   most 10 s) to come back won; past that the slot is skipped (`late`, or `claim-error` when
 *   the call itself timed out), and a claim that comes back won too late is handed back.
 * - A slot won after shutdown began is handed back too, so another replica can run it.
 * - A replica that lost a claim looks again a quarter of the window later: if the winner
 *   was shutting down, it has handed the slot back by then, and this replica runs it.
 * - `catchup` claims late due times (before start, after a stall or a pause); they are late by
 *   definition, so the lateness rule does not apply to them, and a routine with `catchup` keeps
 *   its claims as long as a replica could still catch their slot up (`horizonMs`), so a slot
 *   that ran is found claimed.
 */
export class SlotClaimer {
  /** This replica's role and claims, as `info().cluster` shows them. */
  readonly status: ClusterStatus = { role: 'unknown' };
  /** Claims a loser will look at again (see `recheckLater`). */
  private rechecks: Set<TimerHandle> | undefined;

  /** Given in the options, or made on first use. */
  private coordinatorOption: SlotClaimEngine | undefined;
  /** Cluster-wide overlap, when the coordinator keeps run markers; made with the first won slot. */
  private overlapOf: ClusterOverlap | null | undefined;
  /** This routine's claims carry it, so that a hand-back releases only a claim still its own. */
  private readonly claimToken = newToken();

  constructor(
    private readonly host: SlotClaimHost,
    coordinator: SlotClaimEngine | undefined,
    /** How long after its due time a slot may still be caught up (0 without `catchup`). */
    public horizonMs: number,
    private readonly markerTiming: MarkerTiming,
  ) {
    this.coordinatorOption = coordinator;
  }

  get coordinator(): SlotClaimEngine {
    return (this.coordinatorOption ??= new InMemoryCoordinator(this.host.clock));
  }

  /** Cluster-wide overlap, or null with a coordinator that keeps no run markers. */
  get overlap(): ClusterOverlap | null {
    if (this.overlapOf === undefined) {
      const coordinator = this.coordinator;
      this.overlapOf = coordinator.runs
        ? new ClusterOverlap(this.host, coordinator.runs, this.markerTiming, coordinator, (due) =>
            this.handBack(due, this.window(due)),
          )
        : null;
    }
    return this.overlapOf;
  }

  /** Claims the slot due at `due` for a tick, and runs it if won in time. */
  claim(due: number, armsNextTick: boolean): void {
    this.request({
      due,
      window: this.window(due),
      catchingUp: false,
      recheck: false,
      armsNextTick,
    });
  }

  /** `catchup`: claims a late due time, and runs it if no replica did. */
  claimLate(due: number): void {
    this.request({
      due,
      window: this.window(due),
      catchingUp: true,
      recheck: false,
      armsNextTick: false,
    });
  }

  /** Shutdown: no more rechecks; slots waiting for another replica's run leave the queue. */
  stop(): void {
    this.overlapOf?.stop();
    if (this.rechecks) for (const timer of this.rechecks) this.host.clock.clearTimer(timer);
    this.rechecks = undefined;
  }

  /** The coordinator's time to live for a claim: long enough that a replica whose clock lags still finds it. */
  private ttl(): number {
    const interval = this.host.timetable.intervalMs ?? CRON_TTL_BASE_MS;
    const base = Math.max(interval * 3, MIN_CLAIM_TTL_MS);
    return Math.min(base + this.horizonMs, MAX_TIMER_MS);
  }

  /** How long after its due time a slot may still start: half the gap to the next, at most 10 s. */
  private window(due: number): number {
    const gap = this.host.timetable.following(due) - due;
    return Math.min(gap * CLAIM_WINDOW_FRACTION, MAX_CLAIM_WINDOW_MS);
  }

  private request(claim: ClaimRequest): void {
    const host = this.host;
    const { due, window } = claim;
    const lateBy = claim.catchingUp ? 0 : host.clock.wallNow() - due;
    if (lateBy > window) {
      if (!claim.recheck) host.skip(due, 'late');
      return host.slotNotRun(claim.armsNextTick, claim.catchingUp);
    }
    host.hold(); // so ticks cannot overlap a claim in flight
    const coordinator = this.coordinator;
    withDeadline(
      host.clock,
      window - lateBy,
      () => `claim of slot ${new Date(due).toISOString()}`,
      () => coordinator.claimSlot(host.name, due, this.ttl(), this.claimToken),
      (wonLate) => {
        if (wonLate) this.handBack(due, window);
      },
    ).then(
      (won) => {
        this.claimed(claim, won);
        // Last: a run or a hand-back has taken the claim's place, so shutdown keeps waiting.
        host.release();
      },
      (error: unknown) => {
        this.failed(claim, error);
        host.release();
      },
    );
  }

  private claimed(claim: ClaimRequest, won: boolean): void {
    const host = this.host;
    const { due, window } = claim;
    reportCoordinatorSuccess(this.coordinator, host.clock, host.logger);
    if (!won) {
      if (!claim.recheck) {
        this.record(due, 'lost');
        host.skip(due, 'claimed');
        if (!claim.catchingUp) this.recheckLater(due, window);
      }
      return host.slotNotRun(claim.armsNextTick, claim.catchingUp);
    }
    this.record(due, 'won');
    if (!host.isLive()) {
      host.skip(due, 'stopped');
      this.handBack(due, window);
      return host.slotNotRun(claim.armsNextTick, claim.catchingUp);
    }
    if (!claim.catchingUp && host.clock.wallNow() - due > window) {
      host.skip(due, 'late');
      this.handBack(due, window);
      return host.slotNotRun(claim.armsNextTick, claim.catchingUp);
    }
    const overlap = this.overlap;
    if (overlap) return overlap.enter(due, claim.armsNextTick, claim.catchingUp);
    host.runSlot(due, claim.armsNextTick, claim.catchingUp);
  }

  private failed(claim: ClaimRequest, error: unknown): void {
    const host = this.host;
    reportCoordinatorFailure(
      this.coordinator,
      host.clock,
      host.logger,
      `claim for '${host.name}'`,
      error,
    );
    if (!claim.recheck) {
      this.record(claim.due, 'error');
      host.skip(claim.due, 'claim-error');
    }
    host.slotNotRun(claim.armsNextTick, claim.catchingUp);
  }

  private recheckLater(due: number, window: number): void {
    const host = this.host;
    if (typeof this.coordinator.releaseSlot !== 'function' || !host.isRunning()) return;
    const timers = (this.rechecks ??= new Set());
    const timer = host.clock.setTimer(host.clock.now() + window / 4, () => {
      timers.delete(timer);
      if (host.canRunMore())
        this.request({ due, window, catchingUp: false, recheck: true, armsNextTick: false });
    });
    timers.add(timer);
  }

  /** Hands a won slot back; shutdown waits for it (within the claim window). */
  private handBack(due: number, window: number): void {
    const host = this.host;
    const coordinator = this.coordinator;
    if (typeof coordinator.releaseSlot !== 'function') return;
    host.hold();
    withDeadline(host.clock, window, 'release of a slot', () =>
      coordinator.releaseSlot!(host.name, due, this.claimToken),
    ).then(
      () => host.release(),
      (error: unknown) => {
        host.logger.warn(
          MESSAGES.slotNotHandedBack(new Date(due).toISOString(), describeError(error).message),
        );
        host.release();
      },
    );
  }

  private record(slot: number, outcome: 'won' | 'lost' | 'error'): void {
    const cluster = this.status;
    cluster.lastClaim = { slot, outcome, at: this.host.clock.wallNow() };
    const claims = (cluster.claims ??= { won: 0, lost: 0, errors: 0 });
    if (outcome === 'won') claims.won++;
    else if (outcome === 'lost') claims.lost++;
    else claims.errors++;
    if (outcome !== 'error') cluster.role = outcome === 'won' ? 'leader' : 'standby';
  }
}
