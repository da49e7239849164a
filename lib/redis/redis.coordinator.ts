// Type-only: an app that never constructs a RedisCoordinator never loads ioredis.
import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './redis-client';
import { newToken } from '../cluster/new-token';
import type {
  AcquireOptions,
  ClaimOptions,
  CompletedRoutine,
  Coordinator,
  Lease,
  MigrationStateStore,
  ReplicaDirectory,
  RunMarkers,
  StoredControls,
} from '../cluster/ports';
import { RedisMigrationStore } from './redis-migration-store';
import { RedisRunMarkers } from './redis-run-markers';
import { RedisReplicaDirectory } from './redis-replica-directory';
import { RedisStoredControls } from './redis-stored-controls';
import { redisRoutineKey } from './redis-keys';
import { resolveRedisOptions, type RedisCoordinatorOptions } from './redis-coordinator-options';
import { ACQUIRE_LEASE_LUA } from './lua/acquire-lease.lua';
import { CLAIM_SLOTS_LUA } from './lua/claim-slots.lua';
import { COMPLETE_LEASE_LUA } from './lua/complete-lease.lua';
import { RELEASE_LEASE_LUA } from './lua/release-lease.lua';
import { RENEW_LEASE_LUA } from './lua/renew-lease.lua';
import { ClaimBatcher, type PendingClaim } from '../cluster/claim-batcher';
import { MESSAGES } from './redis.messages';
import { CoordinatorStateLostError, wholeMilliseconds } from '../cluster/coordination.errors';

export type { RedisCoordinatorOptions } from './redis-coordinator-options';

// Names of the scripts on the client (ioredis' defineCommand): namespaced to stay clear of the app's own.
const CLAIM_COMMAND = 'nestjsRoutinesClaimSlots3';
/** Claims sent in one script at most. */
const MAX_BATCH = 500;
const ACQUIRE_COMMAND = 'nestjsRoutinesAcquireLease2';
const RENEW_COMMAND = 'nestjsRoutinesRenewLease';
const RELEASE_COMMAND = 'nestjsRoutinesReleaseLease';
const COMPLETE_COMMAND = 'nestjsRoutinesCompleteLease';

type ScriptReply = Array<number | string>;

interface ScriptedClient {
  [CLAIM_COMMAND](numberOfKeys: number, ...args: Array<string | number>): Promise<ScriptReply>;
  [ACQUIRE_COMMAND](
    leaseKey: string,
    markerKey: string,
    epochKey: string,
    completionKey: string,
    token: string,
    ttlMs: number,
    version: string,
    lastSeen: number,
  ): Promise<ScriptReply>;
  [RENEW_COMMAND](leaseKey: string, token: string, ttlMs: number): Promise<number>;
  [RELEASE_COMMAND](leaseKey: string, token: string): Promise<number>;
  [COMPLETE_COMMAND](
    leaseKey: string,
    completionKey: string,
    token: string,
    version: string,
  ): Promise<number>;
}

/**
 * Cluster coordination on Redis through an ioredis client (standalone, Sentinel or Cluster).
 * Every call is one round trip and one atomic script on the Redis server's clock:
 *
 * - `claimSlot`: checks the routine's marker key (see below), then
 *   `SET <prefix>{<routine>}:slot:<slot> <token> NX PX <ttl>`; `releaseSlot` deletes it if
 *   it still holds the releaser's token;
 * - `acquireLease`: when `<prefix>{<routine>}:lease` is absent, sets it with `PX <ttl>` and
 *   issues a fencing epoch above every one issued before (the larger of the stored epoch + 1
 *   and the server's time in µs), unless the routine completed under the caller's version;
 * - `renewLease` / `releaseLease` / `completeLease`: compare-and-set scripts on the token.
 *
 * Fail closed after a data loss: each routine has a marker hash with no expiry, holding the
 * time of its latest call. A call that finds it missing (FLUSHALL, a restart without
 * persistence; also the very first use), or older than a time this process already saw (a
 * restart from an older snapshot, a failover to a replica that lagged), notes the loss with
 * the server's time and, from then on, refuses slots due before that time plus
 * `maxClockSkew` and holds back new lease holders for one lease ttl, so that no claim or
 * lease issued before the loss can be doubled. Those calls reject with a
 * `CoordinatorStateLostError`, counted as `claim-error` and logged once.
 *
 * All keys of one routine share a hash tag (`{routine}`), so they live in one hash slot of a
 * Redis Cluster (a name that is empty or starts with `}` is written escaped, `~{%...}`, so that
 * its tag is never empty). Errors from Redis reject, and the runtime fails closed. Give the client
 * `enableOfflineQueue: false` so calls fail fast while Redis is down instead of queueing; the
 * runtime also gives each call a deadline. Use `maxmemory-policy noeviction`: an eviction
 * policy may drop claims and leases early (checked on first use, with a warning).
 *
 * @example
 * const redis = new Redis(process.env.REDIS_URL, { enableOfflineQueue: false });
 * RoutinesModule.forRoot({ coordinator: new RedisCoordinator(redis) });
 */
export class RedisCoordinator implements Coordinator {
  readonly kind = 'redis';
  private readonly prefix: string;
  private readonly skewMs: number;
  private readonly scripted: ScriptedClient;
  private readonly logger: { warn(message: string): void };
  private serverChecked = false;
  /** Per routine, the latest marker time this process saw: a marker older than that was rolled back. */
  private readonly lastSeen = new Map<string, number>();
  private readonly batcher: ClaimBatcher;
  /** Live replicas, for the dashboard (`<prefix>{replicas}:*`). */
  readonly replicas: ReplicaDirectory;
  /** Routine controls set from the dashboard, a cluster-wide pause (`<prefix>{controls}`). */
  readonly controls: StoredControls;
  /** Out-of-band migrations' progress, direction and errors (`<prefix>{migrations}:*`). */
  readonly migrations: MigrationStateStore;
  /** Cluster-wide overlap of periodic runs (`<prefix>{<routine>}:runs`, `:previous`). */
  readonly runs: RunMarkers;

  private readonly client: Redis | Cluster;

  constructor(client: RedisClient, options: RedisCoordinatorOptions = {}) {
    const { prefix, skewMs } = resolveRedisOptions(client, options);
    this.prefix = prefix;
    this.skewMs = skewMs;
    this.logger = options.logger ?? console;
    this.client = client as unknown as Redis | Cluster;
    client.defineCommand(CLAIM_COMMAND, { lua: CLAIM_SLOTS_LUA });
    this.batcher = new ClaimBatcher(
      (this.client as Cluster).isCluster ? 1 : MAX_BATCH,
      (claims) => void this.sendClaims(claims),
    );
    client.defineCommand(ACQUIRE_COMMAND, { numberOfKeys: 4, lua: ACQUIRE_LEASE_LUA });
    client.defineCommand(RENEW_COMMAND, { numberOfKeys: 1, lua: RENEW_LEASE_LUA });
    client.defineCommand(RELEASE_COMMAND, { numberOfKeys: 1, lua: RELEASE_LEASE_LUA });
    client.defineCommand(COMPLETE_COMMAND, { numberOfKeys: 2, lua: COMPLETE_LEASE_LUA });
    this.scripted = client as unknown as ScriptedClient;
    this.replicas = new RedisReplicaDirectory(client, this.prefix);
    this.controls = new RedisStoredControls(client, this.prefix);
    this.migrations = new RedisMigrationStore(client, this.prefix);
    this.runs = new RedisRunMarkers(client, (routine, what) => this.key(routine, what));
  }

  /**
   * On a standalone or Sentinel client, claims due at the same instant (routines on one grid
   * point) go in one script: one round trip for all of them.
   */
  claimSlot(
    routine: string,
    slot: number,
    ttlMs: number,
    token?: string,
    options?: ClaimOptions,
  ): Promise<boolean> {
    this.checkServerOnce();
    return this.batcher.claim(routine, slot, ttlMs, token, options?.backfill === true);
  }

  private async sendClaims(claims: PendingClaim[]): Promise<void> {
    const keys: string[] = [];
    const args: Array<string | number> = [this.skewMs];
    for (const claim of claims) {
      keys.push(this.key(claim.routine, `slot:${claim.slot}`), this.key(claim.routine, 'alive'));
      args.push(
        claim.token,
        claim.ttlMs,
        claim.slot,
        this.lastSeen.get(claim.routine) ?? 0,
        claim.backfill ? '1' : '0',
      );
    }
    let reply: ScriptReply;
    try {
      reply = await this.scripted[CLAIM_COMMAND](keys.length, ...keys, ...args);
    } catch (error) {
      for (const claim of claims) claim.reject(error);
      return;
    }
    claims.forEach((claim, i) => {
      const [result, since, last] = reply.slice(3 * i, 3 * i + 3);
      this.saw(claim.routine, last);
      if (Number(result) === -1)
        claim.reject(
          new CoordinatorStateLostError('redis', claim.routine, Number(since), 'slot', claim.slot),
        );
      else claim.resolve(Number(result) === 1);
    });
  }

  /** With a token, deletes the claim only if it is still that token's (the lease's script). */
  async releaseSlot(routine: string, slot: number, token?: string): Promise<void> {
    const key = this.key(routine, `slot:${slot}`);
    if (token === undefined) await this.client.del(key);
    else await this.scripted[RELEASE_COMMAND](key, token);
  }

  async acquireLease(
    routine: string,
    ttlMs: number,
    options: AcquireOptions = {},
  ): Promise<Lease | CompletedRoutine | null> {
    this.checkServerOnce();
    const token = newToken();
    const version = options.version ?? '';
    const [result, value, last] = await this.scripted[ACQUIRE_COMMAND](
      this.key(routine, 'lease'),
      this.key(routine, 'alive'),
      this.key(routine, 'epoch'),
      this.key(routine, 'completed'),
      token,
      wholeMilliseconds(ttlMs),
      version,
      this.lastSeen.get(routine) ?? 0,
    );
    this.saw(routine, last);
    switch (Number(result)) {
      case 1:
        return { routine, token, epoch: Number(value) };
      case -1:
        throw new CoordinatorStateLostError('redis', routine, Number(value), 'lease', ttlMs);
      case -2:
        return { completed: true, version };
      default:
        return null;
    }
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<boolean> {
    const renewed = await this.scripted[RENEW_COMMAND](
      this.key(lease.routine, 'lease'),
      lease.token,
      wholeMilliseconds(ttlMs),
    );
    return Number(renewed) === 1;
  }

  async releaseLease(lease: Lease): Promise<void> {
    await this.scripted[RELEASE_COMMAND](this.key(lease.routine, 'lease'), lease.token);
  }

  async completeLease(lease: Lease, version: string): Promise<boolean> {
    const done = await this.scripted[COMPLETE_COMMAND](
      this.key(lease.routine, 'lease'),
      this.key(lease.routine, 'completed'),
      lease.token,
      version,
    );
    return Number(done) === 1;
  }

  async resetCompletion(routine: string): Promise<void> {
    await this.client.del(this.key(routine, 'completed'));
  }

  private saw(routine: string, last: unknown): void {
    const time = Number(last);
    if (Number.isFinite(time) && time > (this.lastSeen.get(routine) ?? 0))
      this.lastSeen.set(routine, time);
  }

  /** `<prefix>{<routine>}:<what>`: one Cluster slot per routine (see `redisRoutineKey`). */
  private key(routine: string, what: string): string {
    return redisRoutineKey(this.prefix, routine, what);
  }

  /**
   * Warns once if the server may evict keys that have a ttl (claims and leases) or any key
   * (markers, epochs). Managed services often refuse CONFIG: then nothing is said.
   */
  private checkServerOnce(): void {
    if (this.serverChecked) return;
    this.serverChecked = true;
    const client = this.client as Redis;
    if (typeof client.config !== 'function' || (this.client as Cluster).isCluster) return;
    (client.config('GET', 'maxmemory-policy') as Promise<unknown>).then(
      (reply) => {
        const policy = Array.isArray(reply) ? String(reply[1]) : '';
        if (policy && policy !== 'noeviction') {
          this.logger.warn(MESSAGES.evictingPolicy(policy));
        }
      },
      () => undefined,
    );
  }
}
