import { MESSAGES } from './core.messages';
import {
  checkDuration,
  parseDuration,
  toMilliseconds,
  type Duration,
  type OptionProblem,
} from './duration';

/**
 * When a background routine that failed is started again: each failure waits an exponential, jittered delay; more than
 * `maxRestarts` failures within `within` (a sliding window, so old failures decay) and the
 * routine is marked `failed`.
 */
export interface RestartPolicy {
  /** Failures tolerated within `within`; one more and the routine is marked failed. Default: 5. */
  maxRestarts?: number;
  /** The window failures are counted in. Default: '1m'. */
  within?: Duration;
  /** Base delay before the first restart, doubling with each failure in the window; each wait is jittered between half and all of it. Default: '1s'. */
  initialDelay?: Duration;
  /** Longest delay between restarts. Default: '30s'. */
  maxDelay?: Duration;
}

export const DEFAULT_RESTART_POLICY = {
  maxRestarts: 5,
  within: '1m',
  initialDelay: '1s',
  maxDelay: '30s',
} as const;

export function validateRestartPolicy(restart: unknown): OptionProblem[] {
  const problems: OptionProblem[] = [];
  if (restart === undefined || restart === false || restart === true) return problems;
  if (typeof restart !== 'object' || restart === null) {
    problems.push({
      option: 'restart',
      value: restart,
      message: MESSAGES.badRestart,
    });
    return problems;
  }
  const policy = restart as RestartPolicy;
  if (
    policy.maxRestarts !== undefined &&
    !(Number.isInteger(policy.maxRestarts) && policy.maxRestarts >= 0)
  ) {
    problems.push({
      option: 'restart.maxRestarts',
      value: policy.maxRestarts,
      message: MESSAGES.badMaxRestarts,
    });
  }
  checkDuration(problems, 'restart.within', policy.within);
  checkDuration(problems, 'restart.initialDelay', policy.initialDelay, { allowZero: true });
  checkDuration(problems, 'restart.maxDelay', policy.maxDelay, { allowZero: true });
  return problems;
}

/** Counts failures in a sliding window and says how long to wait before the next start. */
export class RestartTracker {
  private readonly maxRestarts: number;
  private readonly withinMs: number;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private failures: number[] = [];

  constructor(
    policy: RestartPolicy | boolean | undefined,
    private readonly random: () => number = Math.random,
  ) {
    const enabled = policy !== false;
    const options = typeof policy === 'object' ? policy : {};
    this.maxRestarts = enabled ? (options.maxRestarts ?? DEFAULT_RESTART_POLICY.maxRestarts) : 0;
    this.withinMs = toMilliseconds(
      options.within ?? DEFAULT_RESTART_POLICY.within,
      'restart.within',
    );
    this.initialDelayMs = toDelay(options.initialDelay ?? DEFAULT_RESTART_POLICY.initialDelay);
    this.maxDelayMs = toDelay(options.maxDelay ?? DEFAULT_RESTART_POLICY.maxDelay);
  }

  /** Failures still inside the window at `now`. */
  recentFailures(now: number): number {
    this.failures = this.failures.filter((at) => at > now - this.withinMs);
    return this.failures.length;
  }

  /**
   * Records a failure at `now`. Returns the delay before restarting, or `undefined` when the
   * policy is exhausted and the routine must be marked failed.
   */
  onFailure(now: number): number | undefined {
    const recent = this.recentFailures(now) + 1;
    this.failures.push(now);
    if (recent > this.maxRestarts) return undefined;
    const full = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** (recent - 1));
    // "Equal jitter": at least half the delay, so restarts stay spaced, the rest random.
    return Math.round(full / 2 + this.random() * (full / 2));
  }
}

function toDelay(value: Duration): number {
  const parsed = parseDuration(value, { allowZero: true });
  if ('ms' in parsed) return parsed.ms;
  throw new RangeError(`restart delay: ${String(value)} ${parsed.problem}`);
}
