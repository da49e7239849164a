// Type-only: an app that never constructs a RedisCoordinator never loads ioredis.
import type { Cluster, Redis } from 'ioredis';
import { wholeMilliseconds } from '../cluster/coordination.errors';
import { newToken } from '../cluster/new-token';
import type { AcquireOptions, CompletedRoutine, Lease, Leases } from '../cluster/ports';
import { ACQUIRE_LEASE_LUA } from './lua/acquire-lease.lua';
import { COMPLETE_LEASE_LUA } from './lua/complete-lease.lua';
import { RELEASE_LEASE_LUA } from './lua/release-lease.lua';
import { RENEW_LEASE_LUA } from './lua/renew-lease.lua';
import type { RedisRoutineKeys } from './redis-routine-keys';
import type { RedisServerCheck } from './redis-server-check';

// Names of the scripts on the client (ioredis' defineCommand): namespaced to stay clear of the app's own.
const ACQUIRE_COMMAND = 'nestjsRoutinesAcquireLease3';
const RENEW_COMMAND = 'nestjsRoutinesRenewLease';
const RELEASE_COMMAND = 'nestjsRoutinesReleaseLease';
const COMPLETE_COMMAND = 'nestjsRoutinesCompleteLease';

interface ScriptedClient {
  [ACQUIRE_COMMAND](
    leaseKey: string,
    markerKey: string,
    epochKey: string,
    completionKey: string,
    engineKey: string,
    token: string,
    ttlMs: number,
    version: string,
    lastSeen: number,
    withEngine: '1' | '0',
  ): Promise<Array<number | string>>;
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
 * Leases: when `<prefix>{<routine>}:lease` is absent, `acquireLease` sets it with `PX <ttl>`
 * and issues a fencing epoch above every one issued before (the larger of the stored epoch
 * + 1 and the server's time in µs), unless the routine completed under the caller's version;
 * `renewLease` / `releaseLease` / `completeLease` are compare-and-set scripts on the token.
 * After a loss, new holders are held back for one lease ttl.
 */
export class RedisLeases implements Leases {
  private readonly scripted: ScriptedClient;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly keys: RedisRoutineKeys,
    private readonly server: RedisServerCheck,
  ) {
    client.defineCommand(ACQUIRE_COMMAND, { numberOfKeys: 5, lua: ACQUIRE_LEASE_LUA });
    client.defineCommand(RENEW_COMMAND, { numberOfKeys: 1, lua: RENEW_LEASE_LUA });
    client.defineCommand(RELEASE_COMMAND, { numberOfKeys: 1, lua: RELEASE_LEASE_LUA });
    client.defineCommand(COMPLETE_COMMAND, { numberOfKeys: 2, lua: COMPLETE_LEASE_LUA });
    this.scripted = client as unknown as ScriptedClient;
  }

  async acquireLease(
    routine: string,
    ttlMs: number,
    options: AcquireOptions = {},
  ): Promise<Lease | CompletedRoutine | null> {
    this.server.once();
    const token = newToken();
    const version = options.version ?? '';
    const marker = this.keys.key(routine, 'alive');
    const engine = this.keys.engine;
    const [result, value, last, kind] = await this.scripted[ACQUIRE_COMMAND](
      this.keys.key(routine, 'lease'),
      marker,
      this.keys.key(routine, 'epoch'),
      this.keys.key(routine, 'completed'),
      engine ?? marker, // on a Cluster, unused
      token,
      wholeMilliseconds(ttlMs),
      version,
      this.keys.lastSeen(routine),
      engine === undefined ? '0' : '1',
    );
    this.keys.saw(routine, last);
    switch (Number(result)) {
      case 1:
        return { routine, token, epoch: Number(value) };
      case -1:
        throw this.keys.refused(routine, Number(value), kind, 'lease', ttlMs);
      case -2:
        return { completed: true, version };
      default:
        return null;
    }
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<boolean> {
    const renewed = await this.scripted[RENEW_COMMAND](
      this.keys.key(lease.routine, 'lease'),
      lease.token,
      wholeMilliseconds(ttlMs),
    );
    return Number(renewed) === 1;
  }

  async releaseLease(lease: Lease): Promise<void> {
    await this.scripted[RELEASE_COMMAND](this.keys.key(lease.routine, 'lease'), lease.token);
  }

  async completeLease(lease: Lease, version: string): Promise<boolean> {
    const done = await this.scripted[COMPLETE_COMMAND](
      this.keys.key(lease.routine, 'lease'),
      this.keys.key(lease.routine, 'completed'),
      lease.token,
      version,
    );
    return Number(done) === 1;
  }

  async resetCompletion(routine: string): Promise<void> {
    await this.client.del(this.keys.key(routine, 'completed'));
  }
}
