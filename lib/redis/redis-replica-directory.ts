import type { ReplicaDirectory } from '../cluster/ports';
import type { RedisClient } from './redis-client';
import { wholeMilliseconds } from '../cluster/coordination.errors';
import { LIST_REPLICAS_LUA } from './lua/list-replicas.lua';
import { LIST_REPLICAS_EXPIRING_LUA } from './lua/list-replicas-expiring.lua';
import { PUBLISH_REPLICA_LUA } from './lua/publish-replica.lua';
import { WITHDRAW_REPLICA_LUA } from './lua/withdraw-replica.lua';

const PUBLISH_COMMAND = 'nestjsRoutinesPublishReplica';
const WITHDRAW_COMMAND = 'nestjsRoutinesWithdrawReplica';
const LIST_COMMAND = 'nestjsRoutinesListReplicas';
const LIST_EXPIRING_COMMAND = 'nestjsRoutinesListReplicasExpiring';

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
  [LIST_EXPIRING_COMMAND](data: string, expiry: string): Promise<string[]>;
}

/**
 * Replicas in a hash (id → snapshot) beside a sorted set of their expiry times on the server's
 * clock, so that listing needs no SCAN. Both keys share a hash tag: one Redis Cluster slot.
 */
export class RedisReplicaDirectory implements ReplicaDirectory {
  private readonly scripted: ScriptedClient;
  private readonly snapshotsKey: string;
  private readonly expiryKey: string;

  constructor(client: RedisClient, prefix: string) {
    client.defineCommand(PUBLISH_COMMAND, { numberOfKeys: 2, lua: PUBLISH_REPLICA_LUA });
    client.defineCommand(WITHDRAW_COMMAND, { numberOfKeys: 2, lua: WITHDRAW_REPLICA_LUA });
    client.defineCommand(LIST_COMMAND, { numberOfKeys: 2, lua: LIST_REPLICAS_LUA });
    client.defineCommand(LIST_EXPIRING_COMMAND, {
      numberOfKeys: 2,
      lua: LIST_REPLICAS_EXPIRING_LUA,
    });
    this.scripted = client as unknown as ScriptedClient;
    this.snapshotsKey = `${prefix}{replicas}:snapshots`;
    this.expiryKey = `${prefix}{replicas}:expiry`;
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

  async listExpiring(): Promise<Array<{ snapshot: string; expiresInMs: number }>> {
    const flat = await this.scripted[LIST_EXPIRING_COMMAND](this.snapshotsKey, this.expiryKey);
    const listed: Array<{ snapshot: string; expiresInMs: number }> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      listed.push({ snapshot: String(flat[i]), expiresInMs: Number(flat[i + 1]) });
    }
    return listed;
  }
}
