import type { Clock, TimerHandle } from './clock';
import type { Coordinator, Lease } from './coordinator';
import {
  checkDuration,
  formatDuration,
  toMilliseconds,
  type Duration,
  type OptionProblem,
} from './duration';
import { LeaseLostError } from './errors';
import { describeError, type RoutineLogger } from './logger';

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
      message: 'must be { ttl, renewEvery, retryEvery }',
    });
    return problems;
  }
  const ttl = checkDuration(problems, 'lease.ttl', lease.ttl);
  const renew = checkDuration(problems, 'lease.renewEvery', lease.renewEvery);
  checkDuration(problems, 'lease.retryEvery', lease.retryEvery);
  if (renew !== undefined && renew >= renewDeadline(ttl ?? DEFAULT_TTL_MS)) {
    problems.push({
      option: 'lease.renewEvery',
      value: lease.renewEvery,
      message: `must be shorter than two thirds of the lease ttl (${formatDuration(renewDeadline(ttl ?? DEFAULT_TTL_MS))}), the deadline past which the holder gives the lease up`,
    });
  }
  return problems;
}

const DEFAULT_TTL_MS = 15_000;

function renewDeadline(ttlMs: number): number {
  return Math.floor((ttlMs * 2) / 3);
}

interface LeaseKeeperOptions {
  routine: string;
  coordinator: Coordinator;
  clock: Clock;
  logger: RoutineLogger;
  options?: LeaseOptions;
  onAcquired(lease: Lease): void;
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
  private deadline: TimerHandle | undefined;
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
    this.stopped = true;
    this.generation++;
    this.clearTimers();
    this.lease = undefined;
  }

  /** Stops renewing and releases the lease if held. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.generation++;
    this.clearTimers();
    const lease = this.lease;
    this.lease = undefined;
    if (!lease) return;
    try {
      await this.config.coordinator.releaseLease(lease);
    } catch (error) {
      this.config.logger.warn(
        `could not release its lease (it expires on its own): ${describeError(error).message}`,
      );
    }
  }

  private tryAcquire(): void {
    if (!this.acquiring) return;
    const generation = this.generation;
    const { coordinator, clock } = this.config;
    const requestedAt = clock.now();
    let acquired: Promise<Lease | null>;
    try {
      acquired = coordinator.acquireLease(this.config.routine, this.ttlMs);
    } catch (error) {
      acquired = Promise.reject(error);
    }
    acquired.then(
      (lease) => {
        if (this.stopped || generation !== this.generation) {
          if (lease) void coordinator.releaseLease(lease).catch(() => undefined);
          return;
        }
        if (!lease) return this.retryLater();
        this.lease = lease;
        this.config.logger.log(
          `took the cluster lease (epoch ${lease.epoch}) on the ${coordinator.kind} coordinator`,
        );
        this.armDeadline(requestedAt);
        this.scheduleRenew();
        this.config.onAcquired(lease);
      },
      (error) => {
        if (this.stopped || generation !== this.generation) return;
        this.config.logger.warn(
          `could not reach the ${coordinator.kind} coordinator to take the lease: ${describeError(error).message}`,
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
      result = this.config.coordinator.renewLease(lease, this.ttlMs);
    } catch (error) {
      return this.lose(error);
    }
    result.then(
      (renewed) => {
        if (this.stopped || generation !== this.generation) return;
        if (!renewed) return this.lose(new Error('the lease was taken over or had expired'));
        this.armDeadline(requestedAt);
        this.scheduleRenew();
      },
      (error) => {
        if (this.stopped || generation !== this.generation) return;
        this.lose(error);
      },
    );
  }

  private lose(cause: unknown): void {
    this.generation++;
    this.clearTimers();
    this.lease = undefined;
    const error = new LeaseLostError(this.config.routine, cause);
    this.config.logger.warn(
      `${error.message}: ${describeError(cause).message}; aborting its signal`,
    );
    this.config.onLost(error);
    this.retryLater();
  }

  /**
   * The lease is ours until `requestedAt + ttl` at best (the holder's clock may run slow, the
   * server's fast): give it up at two thirds of that, so the aborted run can wind down before
   * another replica may take over.
   */
  private armDeadline(requestedAt: number): void {
    if (this.deadline) this.config.clock.clearTimer(this.deadline);
    this.deadline = this.config.clock.setTimer(requestedAt + renewDeadline(this.ttlMs), () => {
      this.deadline = undefined;
      if (this.lease)
        this.lose(
          new Error(
            `no successful renewal within the renew deadline (${formatDuration(renewDeadline(this.ttlMs))} of a ${formatDuration(this.ttlMs)} ttl)`,
          ),
        );
    });
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
    if (this.deadline) this.config.clock.clearTimer(this.deadline);
    this.timer = undefined;
    this.deadline = undefined;
  }
}
