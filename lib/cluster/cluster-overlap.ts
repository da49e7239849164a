import type { Clock, TimerHandle } from '../core/clock';
import { newToken } from './new-token';
import {
  reportCoordinatorFailure,
  reportCoordinatorSuccess,
  type OutageSource,
} from './coordinator-outage';
import { MESSAGES } from '../core/core.messages';
import { withDeadline } from '../core/deadline';
import { RunMarkerLostError } from '../core/errors';
import { Hold } from '../core/hold';
import { describeError, type RoutineLogger } from '../core/logger';
import type { OverlapPolicy, SkipReason } from '../core/routine';
import type { PreviousRun } from '../core/run-context';
import type { BeginAnswer, BeginRun, RunMarkers } from './ports/run-markers';

/** What the cluster-wide overlap needs from its periodic routine. */
export interface ClusterOverlapHost {
  readonly name: string;
  readonly clock: Clock;
  readonly logger: RoutineLogger;
  readonly overlap: OverlapPolicy;
  /** `allow`: runs at once across the cluster. */
  clusterLimit(): number;
  /** `buffer-all`: slots that may wait. */
  readonly maxBuffered: number;
  isLive(): boolean;
  hold(): void;
  release(): void;
  skip(due: number, reason: SkipReason, policy?: OverlapPolicy): void;
  slotNotRun(armsNextTick: boolean, catchingUp: boolean): void;
  /** Starts the run of a slot the cluster has room for; returns it so its end can be matched. */
  runMarked(
    due: number,
    armsNextTick: boolean,
    catchingUp: boolean,
    waited: boolean,
    held: HeldMarker,
  ): void;
}

/**
 * A run's marker while it runs: renewed, and ended with the run. It is held under the core's
 * holder discipline (see `Hold`): certainly ours until two thirds of its ttl after the last
 * call that took or renewed it was sent, and the run is aborted at that moment, before any
 * other replica may start one.
 */
export class HeldMarker {
  /** Supersedes the run (`cancel-other` from another replica). */
  supersede: (() => void) | undefined = undefined;
  renewal: TimerHandle | undefined = undefined;
  ended = false;
  readonly hold: Hold;
  private abortRun: ((reason: unknown) => void) | undefined = undefined;
  /** Why the marker was lost before its run was attached (it aborts as soon as it is). */
  private lostBefore: unknown = undefined;

  constructor(
    readonly token: string,
    readonly epoch: number,
    /** What the last run that ended (on any replica) left, for `ctx.previous`. */
    private readonly previous: PreviousRun | undefined,
    clock: Clock,
    ttlMs: number,
    routine: string,
  ) {
    this.hold = new Hold(clock, ttlMs, (cause) => {
      const error = cause instanceof RunMarkerLostError ? cause : new RunMarkerLostError(routine);
      if (this.abortRun) this.abortRun(error);
      else this.lostBefore = error;
    });
  }

  /** Aborts the run: set once the run has started; a marker already lost aborts it at once. */
  set abort(abort: ((reason: unknown) => void) | undefined) {
    this.abortRun = abort;
    if (abort !== undefined && this.lostBefore !== undefined) abort(this.lostBefore);
  }

  /** `ctx.previous` of the run holding this marker. */
  previousRun(): PreviousRun | undefined {
    return this.previous && structuredClone(this.previous);
  }

  /** `ctx.holdsLease()` of the run holding this marker: synchronous, on the monotonic clock. */
  holdsLease(): boolean {
    return this.hold.holds();
  }
}

/** The markers' timing: the lease options of a cluster periodic routine. */
export interface MarkerTiming {
  ttlMs: number;
  renewEveryMs: number;
  /** How often a waiting slot asks again. */
  retryEveryMs: number;
}

/**
 * Cluster scope: a won slot runs only if no run of the routine is in flight on any replica
 * (or fewer than `concurrency` with `allow`), as its overlap policy says across the cluster.
 *
 * - The run holds a marker through the coordinator, renewed every `renewEveryMs` while it
 *   lasts; a replica that dies stops renewing, and its marker expires after `ttlMs`.
 * - Renewal failing past the marker's life aborts the run (`RunMarkerLostError`): another
 *   replica may start one then, so this one stops, as a lost lease does.
 * - `buffer-one` / `buffer-all` / `cancel-other`: a slot that finds a run in flight waits in
 *   the shared queue (one place, or `maxBuffered`) and asks again every `retryEveryMs`; with
 *   `cancel-other` the run in flight hears at its next renewal that it is superseded.
 * - Any engine error skips the slot (`claim-error`): fail closed, never two runs at once.
 */
export class ClusterOverlap {
  /** Slots waiting in the queue, each with how it leaves on shutdown. */
  private readonly waits = new Map<TimerHandle, () => void>();

  constructor(
    private readonly host: ClusterOverlapHost,
    private readonly markers: RunMarkers,
    private readonly timing: MarkerTiming,
    /** The engine the markers live on: outages are kept and logged per engine. */
    private readonly coordinator: OutageSource,
    /** Hands a won slot back (shutdown began before it ran), so another replica may run it. */
    private readonly handBack: (due: number) => void,
  ) {}

  /** A slot was won: run it when the cluster has room for it, wait, or skip it. */
  enter(due: number, armsNextTick: boolean, catchingUp: boolean): void {
    this.ask(due, armsNextTick, catchingUp, newToken(), false);
  }

  /** Shutdown: waiting slots stop asking (each is skipped `stopped` and leaves the queue). */
  stop(): void {
    for (const leave of [...this.waits.values()]) leave();
  }

  /** The run of `held` ended: its marker goes, leaving its outcome for the next run. */
  ended(held: HeldMarker, previous: PreviousRun | undefined): void {
    const host = this.host;
    held.ended = true;
    held.hold.release();
    if (held.renewal !== undefined) host.clock.clearTimer(held.renewal);
    held.renewal = undefined;
    host.hold();
    withDeadline(host.clock, this.timing.ttlMs, 'end of a run marker', () =>
      this.markers.end(host.name, held.token, previous && JSON.stringify(previous)),
    ).then(
      () => host.release(),
      (error: unknown) => {
        // The marker expires on its own after its ttl: the next slot waits that long at most.
        host.logger.warn(MESSAGES.runMarkerNotEnded(describeError(error).message));
        host.release();
      },
    );
  }

  private request(token: string): BeginRun {
    const policy = this.host.overlap;
    return {
      token,
      ttlMs: this.timing.ttlMs,
      limit: policy === 'allow' ? this.host.clusterLimit() : 1,
      queue:
        policy === 'buffer-all'
          ? this.host.maxBuffered
          : policy === 'buffer-one' || policy === 'cancel-other'
            ? 1
            : 0,
      cancel: policy === 'cancel-other',
    };
  }

  private ask(
    due: number,
    armsNextTick: boolean,
    catchingUp: boolean,
    token: string,
    waited: boolean,
  ): void {
    const host = this.host;
    host.hold();
    const sentAt = host.clock.now();
    withDeadline(
      host.clock,
      this.timing.renewEveryMs,
      'run marker',
      () => this.markers.begin(host.name, this.request(token)),
      (late) => {
        if (late.state !== 'busy') void this.markers.end(host.name, token).catch(() => undefined);
      },
    ).then(
      (answer) => {
        reportCoordinatorSuccess(this.coordinator, host.clock, host.logger);
        this.answered(answer, due, armsNextTick, catchingUp, token, waited, sentAt);
        host.release();
      },
      (error: unknown) => {
        reportCoordinatorFailure(
          this.coordinator,
          host.clock,
          host.logger,
          `run marker for '${host.name}'`,
          error,
        );
        host.skip(due, 'claim-error');
        host.slotNotRun(armsNextTick, catchingUp);
        if (waited) void this.markers.end(host.name, token).catch(() => undefined);
        host.release();
      },
    );
  }

  private answered(
    answer: BeginAnswer,
    due: number,
    armsNextTick: boolean,
    catchingUp: boolean,
    token: string,
    waited: boolean,
    sentAt: number,
  ): void {
    const host = this.host;
    if (!host.isLive()) {
      if (answer.state !== 'busy') void this.markers.end(host.name, token).catch(() => undefined);
      host.skip(due, 'stopped', waited ? host.overlap : undefined);
      this.handBack(due);
      return host.slotNotRun(armsNextTick, catchingUp);
    }
    if (answer.state === 'busy') {
      host.skip(due, 'busy', host.overlap);
      return host.slotNotRun(armsNextTick, catchingUp);
    }
    if (answer.state === 'queued') return this.waitAndAsk(due, armsNextTick, catchingUp, token);
    const held = new HeldMarker(
      token,
      answer.epoch,
      parsePrevious(answer),
      host.clock,
      this.timing.ttlMs,
      host.name,
    );
    held.hold.renewed(sentAt);
    this.keepRenewing(held);
    host.runMarked(due, armsNextTick, catchingUp, waited, held);
  }

  private waitAndAsk(due: number, armsNextTick: boolean, catchingUp: boolean, token: string): void {
    const host = this.host;
    host.hold(); // shutdown waits for a waiting slot to leave the queue
    const timer = host.clock.setTimer(host.clock.now() + this.timing.retryEveryMs, () => {
      this.waits.delete(timer);
      this.ask(due, armsNextTick, catchingUp, token, true);
      host.release();
    });
    this.waits.set(timer, () => this.leaveQueue(timer, due, armsNextTick, catchingUp, token));
    if (!host.isLive()) this.waits.get(timer)!();
  }

  /** Stopping while a slot waits: it leaves the queue now rather than at its next ask. */
  private leaveQueue(
    timer: TimerHandle,
    due: number,
    armsNextTick: boolean,
    catchingUp: boolean,
    token: string,
  ): void {
    const host = this.host;
    host.clock.clearTimer(timer);
    this.waits.delete(timer);
    void this.markers.end(host.name, token).catch(() => undefined);
    host.skip(due, 'stopped', host.overlap);
    this.handBack(due);
    host.slotNotRun(armsNextTick, catchingUp);
    host.release();
  }

  /**
   * Renews the marker every `renewEveryMs` while the run lasts. A renewal that fails is retried
   * at the next turn; the hold's deadline, not a count of failures, decides when the run must
   * stop (a hung call and a paused process count alike).
   */
  private keepRenewing(held: HeldMarker): void {
    const host = this.host;
    const { ttlMs, renewEveryMs } = this.timing;
    const next = () => {
      if (!held.ended && !held.hold.ended)
        held.renewal = host.clock.setTimer(host.clock.now() + renewEveryMs, renew);
    };
    const renew = () => {
      held.renewal = undefined;
      const sentAt = host.clock.now();
      withDeadline(host.clock, renewEveryMs, 'renewal of a run marker', () =>
        this.markers.renew(host.name, held.token, ttlMs),
      ).then(
        (answer) => {
          reportCoordinatorSuccess(this.coordinator, host.clock, host.logger);
          if (held.ended) return;
          if (answer === 'lost') return held.hold.lose(new RunMarkerLostError(host.name));
          held.hold.renewed(sentAt);
          if (answer === 'cancelled') held.supersede?.();
          next();
        },
        (error: unknown) => {
          reportCoordinatorFailure(
            this.coordinator,
            host.clock,
            host.logger,
            `run marker renewal for '${host.name}'`,
            error,
          );
          if (!held.ended) next();
        },
      );
    };
    next();
  }
}

/** What `end` stored, as `ctx.previous`: undefined when there is none or it does not parse. */
function parsePrevious(answer: BeginAnswer): PreviousRun | undefined {
  if (answer.state !== 'running' || answer.previous === undefined) return undefined;
  try {
    return JSON.parse(answer.previous) as PreviousRun;
  } catch {
    return undefined;
  }
}
