/**
 * What the Redis and PostgreSQL coordinators say: configuration problems (completed by the
 * class, option and value; see `RoutinesConfigurationError`), errors and warnings.
 */
export const MESSAGES = {
  // Configuration problems.
  notIoredis:
    'must be an ioredis client (new Redis(url) or new Cluster(nodes)); node-redis and other clients are not supported',
  notString: 'must be a string',
  emptyHashTag:
    "has an empty hash tag ('{}' at its first '{'): on a Redis Cluster every key would be hashed whole, and each call would fail with CROSSSLOT",
  notPool: 'must be a pg.Pool (new Pool({ connectionString }))',
  singleClient:
    'must be a pg.Pool, not a single pg.Client: one connection serialises every claim, and when it drops (a restart, a failover) it never comes back. Pass new Pool({ connectionString })',
  notIdentifier:
    'must be a plain SQL identifier: a letter or underscore, then letters, digits or underscores (at most 63)',
  sameTables:
    'must differ from the other tables (slotTable, leaseTable, replicaTable, controlTable)',

  // Errors.
  slotRefused: (engine: string, routine: string, since: string, slot: string) =>
    `${engine} lost its state for '${routine}' (or is new to it) at ${since}: slot ${slot} may have run before, so it is refused; later slots run`,
  leaseRefused: (engine: string, routine: string, since: string, until: string) =>
    `${engine} lost its state for '${routine}' (or is new to it) at ${since}: no replica takes the lease before ${until}, when any lease issued before has expired`,
  invalidTtl: (ttlMs: number) => `invalid ttl: ${ttlMs} ms`,

  // Warnings.
  idleConnectionFailed: (reason: string) =>
    `PostgresCoordinator: an idle pool connection failed (${reason}); the pool opens a new one on demand. Add pool.on('error', ...) to handle this yourself.`,
  evictingPolicy: (policy: string) =>
    `RedisCoordinator: the server's maxmemory-policy is '${policy}': under memory pressure it may evict slot claims and leases before they expire, and a slot may then run twice or two replicas hold a lease. Set maxmemory-policy to noeviction (or give the coordinator a Redis of its own).`,
} as const;
