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

/** Lease timing for a cluster background routine; defaults follow Kubernetes' Lease (15 s, retry 2 s). */
export interface LeaseOptions {
  /** How long the lease holds without renewal. Default: '15s'. */
  ttl?: Duration;
  /** How often the holder renews. Default: a third of `ttl`. */
  renewEvery?: Duration;
  /** How often a standby replica tries to take the lease. Default: '2s' (at most `ttl`). */
  retryEvery?: Duration;
}

export function validateLeaseOptions(lease: LeaseOptions | undefined): OptionProblem[] {
  const problems: OptionProblem[] = [];
  if (lease === undefined) return problems;
  const ttl = checkDuration(problems, 'lease.ttl', lease.ttl);
  const renew = checkDuration(problems, 'lease.renewEvery', lease.renewEvery);
  checkDuration(problems, 'lease.retryEvery', lease.retryEvery);
  if (renew !== undefined && renew >= (ttl ?? 15_000)) {
    problems.push({
      option: 'lease.renewEvery',
      value: lease.renewEvery,
      message: `must be shorter than the lease ttl (${formatDuration(ttl ?? 15_000)})`,
    });
  }
  return problems;
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
  private generation = 0;

  constructor(private readonly config: LeaseKeeperOptions) {
    const options = config.options ?? {};
    this.ttlMs = toMilliseconds(options.ttl ?? '15s', 'lease.ttl');
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
    this.tryAcquire();
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
    const generation = this.generation;
    const { coordinator, clock } = this.config;
    const requestedAt = clock.now();
    coordinator.acquireLease(this.config.routine, this.ttlMs).then(
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

  /** The lease is only ours until `requestedAt + ttl` as the holder's clock sees it: stop before. */
  private armDeadline(requestedAt: number): void {
    if (this.deadline) this.config.clock.clearTimer(this.deadline);
    this.deadline = this.config.clock.setTimer(requestedAt + this.ttlMs, () => {
      this.deadline = undefined;
      if (this.lease)
        this.lose(
          new Error(`no successful renewal within the lease ttl (${formatDuration(this.ttlMs)})`),
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
    if (this.stopped) return;
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
