// Type-only: an app that never constructs a RedisCoordinator never loads ioredis.
import type { Cluster, Redis } from 'ioredis';
import { describeValue } from '../cluster/coordination.errors';
import { parseDuration, type Duration } from '../core/duration';
import { RoutinesConfigurationError, type ConfigurationProblem } from '../core/errors';
import { redisHashTag } from './redis-keys';
import { MESSAGES } from './redis.messages';

export interface RedisCoordinatorOptions {
  /**
   * Prepended to every key this coordinator writes (after the client's own `keyPrefix`, if
   * any). Default: 'routines:'.
   */
  keyPrefix?: string;
  /**
   * The most the replicas' wall clocks may differ from the Redis server's. After Redis lost
   * its data, slots due up to this long after the loss was noticed are refused, since a
   * replica whose clock runs ahead may have claimed them before the loss. Default: '1s'.
   */
  maxClockSkew?: Duration;
  /** Where the server checks (eviction policy) warn. Default: `console`. */
  logger?: { warn(message: string): void };
}

/** The options checked, with their defaults. */
export interface ResolvedRedisOptions {
  prefix: string;
  skewMs: number;
}

/** Checks the client and every option, and throws one error that lists all the problems found. */
export function resolveRedisOptions(
  client: unknown,
  options: RedisCoordinatorOptions,
): ResolvedRedisOptions {
  const problems: ConfigurationProblem[] = [];
  const problem = (option: string, value: unknown, message: string): void => {
    problems.push({ option, value, message, source: 'RedisCoordinator' });
  };
  if (!isIoredisClient(client)) {
    problem('client', describeValue(client), MESSAGES.notIoredis);
  }
  const keyPrefix = options.keyPrefix ?? 'routines:';
  if (typeof keyPrefix !== 'string') problem('keyPrefix', keyPrefix, MESSAGES.notString);
  const prefix = typeof keyPrefix === 'string' ? keyPrefix : 'routines:';
  const onCluster = isIoredisClient(client) && (client as Cluster).isCluster === true;
  if (onCluster && redisHashTag(`${prefix}{x}`) === undefined) {
    problem('keyPrefix', keyPrefix, MESSAGES.emptyHashTag);
  }
  let skewMs = 1000;
  if (options.maxClockSkew !== undefined) {
    const parsed = parseDuration(options.maxClockSkew, { allowZero: true });
    if ('ms' in parsed) skewMs = parsed.ms;
    else problem('maxClockSkew', options.maxClockSkew, parsed.problem);
  }
  if (problems.length > 0) throw new RoutinesConfigurationError(problems);
  return { prefix, skewMs };
}

function isIoredisClient(client: unknown): client is Redis | Cluster {
  const candidate = client as Partial<Redis> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.defineCommand === 'function' &&
    typeof candidate.set === 'function' &&
    typeof candidate.del === 'function' &&
    typeof candidate.evalsha === 'function'
  );
}
