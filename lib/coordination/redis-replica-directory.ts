import type { ReplicaDirectory } from '../core/coordinator';
import type { RedisClient } from './clients';
import { wholeMilliseconds } from './coordination.errors';
import { SERVER_NOW } from './redis-server-now';

/** KEYS: snapshots hash, expiry zset. ARGV: id, snapshot, ttl ms. Expiry on the server's clock. */
const PUBLISH = `${SERVER_NOW}
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
return 1
`;

/** KEYS: snapshots hash, expiry zset. ARGV: id. */
const WITHDRAW = `
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`;

/** KEYS: snapshots hash, expiry zset. Drops the expired replicas, then returns the live ones' snapshots. */
const LIST = `${SERVER_NOW}
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for i = 1, #expired do redis.call('HDEL', KEYS[1], expired[i]) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
return redis.call('HVALS', KEYS[1])
`;

/** KEYS: controls hash. ARGV: routine, control. */
const SET_CONTROL = `return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])`;
/** KEYS: controls hash. */
const CONTROLS = `return redis.call('HGETALL', KEYS[1])`;

const PUBLISH_COMMAND = 'nestjsRoutinesPublishReplica';
const WITHDRAW_COMMAND = 'nestjsRoutinesWithdrawReplica';
const LIST_COMMAND = 'nestjsRoutinesListReplicas';
const SET_CONTROL_COMMAND = 'nestjsRoutinesSetControl';
const CONTROLS_COMMAND = 'nestjsRoutinesControls';

interface ScriptedClient {
  [PUBLISH_COMMAND](
    data: string,
    expiry: string,
    id: string,
    snapshot: string,
    ttl: number,
  ): Promise<unknown>;
  [WITHDRAW_COMMAND](data: string, expiry: string, id: string): Promise<unknown>;
  [LIST_COMMAND](data: string, expiry: string): Promise<string[]>;
  [SET_CONTROL_COMMAND](controls: string, routine: string, control: string): Promise<unknown>;
  [CONTROLS_COMMAND](controls: string): Promise<string[]>;
}

/**
 * Replicas in a hash (id → snapshot) beside a sorted set of their expiry times on the server's
 * clock, so that listing needs no SCAN; controls in a hash of their own. The keys of each share
 * a hash tag: one Redis Cluster slot.
 */
export class RedisReplicaDirectory implements ReplicaDirectory {
  private readonly scripted: ScriptedClient;
  private readonly snapshotsKey: string;
  private readonly expiryKey: string;
  private readonly controlsKey: string;

  constructor(client: RedisClient, prefix: string) {
    client.defineCommand(PUBLISH_COMMAND, { numberOfKeys: 2, lua: PUBLISH });
    client.defineCommand(WITHDRAW_COMMAND, { numberOfKeys: 2, lua: WITHDRAW });
    client.defineCommand(LIST_COMMAND, { numberOfKeys: 2, lua: LIST });
    client.defineCommand(SET_CONTROL_COMMAND, { numberOfKeys: 1, lua: SET_CONTROL });
    client.defineCommand(CONTROLS_COMMAND, { numberOfKeys: 1, lua: CONTROLS });
    this.scripted = client as unknown as ScriptedClient;
    this.snapshotsKey = `${prefix}{replicas}:snapshots`;
    this.expiryKey = `${prefix}{replicas}:expiry`;
    this.controlsKey = `${prefix}{controls}`;
  }

  async publish(id: string, snapshot: string, ttlMs: number): Promise<void> {
    await this.scripted[PUBLISH_COMMAND](
      this.snapshotsKey,
      this.expiryKey,
      id,
      snapshot,
      wholeMilliseconds(ttlMs),
    );
  }

  async withdraw(id: string): Promise<void> {
    await this.scripted[WITHDRAW_COMMAND](this.snapshotsKey, this.expiryKey, id);
  }

  async list(): Promise<string[]> {
    return (await this.scripted[LIST_COMMAND](this.snapshotsKey, this.expiryKey)).map(String);
  }

  async setControl(routine: string, control: string): Promise<void> {
    await this.scripted[SET_CONTROL_COMMAND](this.controlsKey, routine, control);
  }

  async controls(): Promise<Map<string, string>> {
    const flat = await this.scripted[CONTROLS_COMMAND](this.controlsKey);
    const controls = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) controls.set(String(flat[i]), String(flat[i + 1]));
    return controls;
  }
}
