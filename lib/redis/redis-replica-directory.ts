import type { ReplicaDirectory } from '../core/coordinator';
import type { RedisClient } from './clients';
import { wholeMilliseconds } from './coordination.errors';
import { LIST_CONTROLS_LUA } from '../redis/lua/list-controls.lua';
import { LIST_REPLICAS_LUA } from '../redis/lua/list-replicas.lua';
import { PUBLISH_REPLICA_LUA } from '../redis/lua/publish-replica.lua';
import { SET_CONTROL_LUA } from '../redis/lua/set-control.lua';
import { WITHDRAW_REPLICA_LUA } from '../redis/lua/withdraw-replica.lua';

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
    client.defineCommand(PUBLISH_COMMAND, { numberOfKeys: 2, lua: PUBLISH_REPLICA_LUA });
    client.defineCommand(WITHDRAW_COMMAND, { numberOfKeys: 2, lua: WITHDRAW_REPLICA_LUA });
    client.defineCommand(LIST_COMMAND, { numberOfKeys: 2, lua: LIST_REPLICAS_LUA });
    client.defineCommand(SET_CONTROL_COMMAND, { numberOfKeys: 1, lua: SET_CONTROL_LUA });
    client.defineCommand(CONTROLS_COMMAND, { numberOfKeys: 1, lua: LIST_CONTROLS_LUA });
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
