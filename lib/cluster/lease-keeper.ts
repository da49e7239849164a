import { MESSAGES } from '../core/core.messages';
import type { Clock, TimerHandle } from '../core/clock';
import { isCompletedRoutine, type CompletedRoutine, type Lease, type Leases } from './ports/leases';
import {
  reportCoordinatorFailure,
  reportCoordinatorSuccess,
  type OutageSource,
} from './coordinator-outage';
import { withDeadline } from '../core/deadline';
import {
  checkDuration,
  formatDuration,
  toMilliseconds,
  type Duration,
  type OptionProblem,
} from '../core/duration';
import { LeaseLostError } from '../core/errors';
import { Hold, renewDeadline } from '../core/hold';
import { describeError, type RoutineLogger } from '../core/logger';

/**
 * Lease timing for a cluster background routine; defaults follow Kubernetes' Lease (15 s,
 * renew deadline 10 s, retry 2 s). The holder aborts its work when no renewal has succeeded
 * for two thirds of the ttl, so that its run has a third of the ttl to wind down before
 * another replica can take the lease.
 */
export interface LeaseOptions {
  /** How long the lease holds without renewal. Default: '15s'. */
  ttl?: Duration;
  /** How often the holder renews; shorter than two thirds of `ttl`. Default: a third of `ttl`. */
  renewEvery?: Duration;
  /** How often a standby replica tries to take the lease. Default: '2s' (at most `ttl`). */
  retryEvery?: Duration;
}

export function validateLeaseOptions(lease: LeaseOptions | undefined): OptionProblem[] {
  const problems: OptionProblem[] = [];
  if (lease === undefined) return problems;
  if (typeof lease !== 'object' || lease === null) {
    problems.push({
      option: 'lease',
      value: lease,
      message: MESSAGES.badLease,
    });
    return problems;
  }
  const ttl = checkDuration(problems, 'lease.ttl', lease.ttl);
  if (ttl !== undefined && ttl < MIN_TTL_MS) {
    problems.push({
      option: 'lease.ttl',
      value: lease.ttl,
      message: MESSAGES.leaseTooShort(formatDuration(MIN_TTL_MS)),
    });
  }
  const renew = checkDuration(problems, 'lease.renewEvery', lease.renewEvery);
  checkDuration(problems, 'lease.retryEvery', lease.retryEvery);
  if (renew !== undefined && renew >= renewDeadline(ttl ?? DEFAULT_TTL_MS)) {
    problems.push({
      option: 'lease.renewEvery',
      value: lease.renewEvery,
      message: MESSAGES.renewTooSlow(formatDuration(renewDeadline(ttl ?? DEFAULT_TTL_MS))),
    });
  }
  return problems;
}

const DEFAULT_TTL_MS = 15_000;
/** The shortest lease: renewals every third of it must fit a round trip and a busy event loop. */
export const MIN_TTL_MS = 1000;

interface LeaseKeeperOptions {
  routine: string;
  /** The coordinator's leases; its `kind` names it in the logs, and outages are kept per engine. */
  coordinator: Leases & OutageSource;
  clock: Clock;
  logger: RoutineLogger;
  options?: LeaseOptions;
  /** The app's version: a routine completed under it is not run again (see `complete`). */
  version?: string;
  onAcquired(lease: Lease): void;
  /** Another replica already completed the routine under this version. */
  onCompleted?(): void;
  onLost(error: LeaseLostError): void;
}

/**
 * Takes a lease, keeps it renewed, and reports the moment it is lost: when a renewal is
 * refused, fails, or has not succeeded before the lease would have expired (a hung
 * connection counts). A standby keeps trying to acquire.
 */
export class LeaseKeeper {
  lease: Lease | undefined;
  private readonly ttlMs: number;
  private readonly renewMs: number;
  private readonly retryMs: number;
  private timer: TimerHandle | undefined;
  /** The lease's timing while held (see core/hold.ts). */
  private hold: Hold | undefined;
  private stopped = false;
  private acquiring = true;
  private generation = 0;

  constructor(private readonly config: LeaseKeeperOptions) {
    const options = config.options ?? {};
    this.ttlMs = toMilliseconds(options.ttl ?? DEFAULT_TTL_MS, 'lease.ttl');
    this.renewMs =
      options.renewEvery === undefined
        ? Math.max(1, Math.floor(this.ttlMs / 3))
        : toMilliseconds(options.renewEvery, 'lease.renewEvery');
    this.retryMs =
      options.retryEvery === undefined
        ? Math.min(2000, this.ttlMs)
        : toMilliseconds(options.retryEvery, 'lease.retryEvery');
  }

  get ttl(): number {
    return this.ttlMs;
  }

  /**
   * Whether the lease is certainly still held, on the monotonic clock: a renewal (or the
   * acquire) succeeded less than the renew deadline ago. Synchronous, for a handler to check
   * just before a write; a process paused past its deadline (SIGSTOP, a VM freeze) reads false
   * on waking, before the library's own timer has run.
   */
  holds(): boolean {
    return this.lease !== undefined && this.hold !== undefined && this.hold.holds();
  }

  /**
   * The routine finished: records the completion under the version (so that standbys do not
   * run it again) and lets the lease go. Falls back to a plain release on a coordinator
   * without completion records.
   */
  async complete(): Promise<void> {
    const coordinator = this.config.coordinator;
    if (!this.lease || this.stopped || typeof coordinator.completeLease !== 'function')
      return this.stop();
    const lease = this.letGo()!;
    try {
      await withDeadline(this.config.clock, this.renewMs, 'recording the completion', () =>
        coordinator.completeLease!(lease, this.config.version ?? ''),
      );
    } catch (error) {
      this.config.logger.warn(MESSAGES.completionNotRecorded(describeError(error).message));
    }
  }

  start(): void {
    this.stopped = false;
    this.acquiring = true;
    this.tryAcquire();
  }

  /** Shutdown has begun: a standby stops trying; a holder keeps its lease until {@link stop}. */
  stopAcquiring(): void {
    this.acquiring = false;
    if (!this.lease) this.clearTimers();
  }

  /**
   * Gives up on a holder whose work did not stop in time: no more renewals, and no release
   * either, since the work may still be running; the lease expires on its own after its ttl.
   */
  abandon(): void {
    this.letGo();
  }

  /** Stops renewing and releases the lease if held. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    const lease = this.letGo();
    if (!lease) return;
    try {
      await withDeadline(this.config.clock, this.renewMs, 'lease release', () =>
        this.config.coordinator.releaseLease(lease),
      );
    } catch (error) {
      this.config.logger.warn(MESSAGES.leaseNotReleased(describeError(error).message));
    }
  }

  /** Stops renewing and acquiring, drops any answer still in flight, and returns the lease held. */
  private letGo(): Lease | undefined {
    this.stopped = true;
    this.generation++;
    this.clearTimers();
    const lease = this.lease;
    this.lease = undefined;
    return lease;
  }

  private tryAcquire(): void {
    if (!this.acquiring) return;
    const generation = this.generation;
    const { coordinator, clock } = this.config;
    const requestedAt = clock.now();
    const giveBack = (lease: Lease | CompletedRoutine | null): void => {
      if (lease && !isCompletedRoutine(lease))
        void coordinator.releaseLease(lease).catch(() => undefined);
    };
    const version = this.config.version ?? '';
    // An acquire that answers after the renew deadline would hand over a lease already due to
    // be given up: stop waiting then, and hand back whatever it brings.
    withDeadline(
      clock,
      renewDeadline(this.ttlMs),
      'lease acquire',
      () => coordinator.acquireLease(this.config.routine, this.ttlMs, { version }),
      giveBack,
    ).then(
      (lease) => {
        if (this.stopped || generation !== this.generation) return giveBack(lease);
        reportCoordinatorSuccess(coordinator, clock, this.config.logger);
        if (isCompletedRoutine(lease)) {
          this.acquiring = false;
          this.clearTimers();
          return this.config.onCompleted?.();
        }
        if (!lease) return this.retryLater();
        this.lease = lease;
        this.config.logger.log(MESSAGES.leaseTaken(lease.epoch, coordinator.kind));
        this.hold = new Hold(clock, this.ttlMs, (cause) => this.lose(cause));
        this.hold.renewed(requestedAt);
        this.scheduleRenew();
        this.config.onAcquired(lease);
      },
      (error: unknown) => {
        if (this.stopped || generation !== this.generation) return;
        reportCoordinatorFailure(
          coordinator,
          clock,
          this.config.logger,
          `lease acquire for '${this.config.routine}'`,
          error,
        );
        this.retryLater();
      },
    );
  }

  private renew(): void {
    const lease = this.lease;
    if (!lease || this.stopped) return;
    const generation = this.generation;
    const requestedAt = this.config.clock.now();
    let result: Promise<boolean>;
    try {
      // No deadline of its own: the renew deadline armed at the last success is the limit.
      result = this.config.coordinator.renewLease(lease, this.ttlMs);
    } catch (error) {
      return this.lose(error);
    }
    result.then(
      (renewed) => {
        if (this.stopped || generation !== this.generation) return;
        if (!renewed) return this.lose(new Error('the lease was taken over or had expired'));
        this.hold?.renewed(requestedAt);
        this.scheduleRenew();
      },
      (error) => {
        if (this.stopped || generation !== this.generation) return;
        this.lose(error);
      },
    );
  }

  private lose(cause: unknown): void {
    if (!this.lease) return;
    this.generation++;
    this.clearTimers();
    this.lease = undefined;
    const error = new LeaseLostError(this.config.routine, cause);
    this.config.logger.warn(MESSAGES.leaseLost(error.message, describeError(cause).message));
    this.config.onLost(error);
    this.retryLater();
  }

  private scheduleRenew(): void {
    if (this.timer) this.config.clock.clearTimer(this.timer);
    this.timer = this.config.clock.setTimer(this.config.clock.now() + this.renewMs, () => {
      this.timer = undefined;
      this.renew();
    });
  }

  private retryLater(): void {
    if (this.stopped || !this.acquiring) return;
    if (this.timer) this.config.clock.clearTimer(this.timer);
    this.timer = this.config.clock.setTimer(this.config.clock.now() + this.retryMs, () => {
      this.timer = undefined;
      this.tryAcquire();
    });
  }

  private clearTimers(): void {
    if (this.timer) this.config.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.hold?.release();
    this.hold = undefined;
  }
}
