/**
 * What the Redis coordinator says: configuration problems (completed by the class, option and
 * value; see `RoutinesConfigurationError`) and warnings.
 */
export const MESSAGES = {
  // Configuration problems.
  notIoredis:
    'must be an ioredis client (new Redis(url) or new Cluster(nodes)); node-redis and other clients are not supported',
  notString: 'must be a string',
  emptyHashTag:
    "has an empty hash tag ('{}' at its first '{'): on a Redis Cluster every key would be hashed whole, and each call would fail with CROSSSLOT",

  // Warnings.
  evictingPolicy: (policy: string) =>
    `RedisCoordinator: the server's maxmemory-policy is '${policy}': under memory pressure it may evict slot claims and leases before they expire, and a slot may then run twice or two replicas hold a lease. Set maxmemory-policy to noeviction (or give the coordinator a Redis of its own).`,
} as const;
