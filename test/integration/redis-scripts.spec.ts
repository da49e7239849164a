import type { Redis } from 'ioredis';
import { ACQUIRE_LEASE_LUA } from '../../lib/redis/lua/acquire-lease.lua';
import { ADD_MIGRATION_ERROR_LUA } from '../../lib/redis/lua/add-migration-error.lua';
import { BEGIN_RUN_LUA } from '../../lib/redis/lua/begin-run.lua';
import { CLAIM_SLOTS_LUA } from '../../lib/redis/lua/claim-slots.lua';
import { COMPLETE_LEASE_LUA } from '../../lib/redis/lua/complete-lease.lua';
import { END_RUN_LUA } from '../../lib/redis/lua/end-run.lua';
import { LIST_CONTROLS_LUA } from '../../lib/redis/lua/list-controls.lua';
import { LIST_REPLICAS_LUA } from '../../lib/redis/lua/list-replicas.lua';
import { LIST_REPLICAS_EXPIRING_LUA } from '../../lib/redis/lua/list-replicas-expiring.lua';
import { PUBLISH_REPLICA_LUA } from '../../lib/redis/lua/publish-replica.lua';
import { REGISTER_MIGRATION_LUA } from '../../lib/redis/lua/register-migration.lua';
import { RELEASE_LEASE_LUA } from '../../lib/redis/lua/release-lease.lua';
import { RENEW_LEASE_LUA } from '../../lib/redis/lua/renew-lease.lua';
import { RENEW_RUN_LUA } from '../../lib/redis/lua/renew-run.lua';
import { SET_CONTROL_LUA } from '../../lib/redis/lua/set-control.lua';
import { SET_MIGRATION_DIRECTION_LUA } from '../../lib/redis/lua/set-migration-direction.lua';
import { SET_MIGRATION_PROGRESS_LUA } from '../../lib/redis/lua/set-migration-progress.lua';
import { WITHDRAW_REPLICA_LUA } from '../../lib/redis/lua/withdraw-replica.lua';
import { connectRedis, deleteRedisKeys, unique } from './support';

// Each Lua script alone against the real server: it compiles (SCRIPT LOAD), and runs on keys
// of its own without a Lua error. What each does is the coordinator's tests' business (and,
// for the run markers, run-marker-protocol.spec.ts).

const scripts: Array<[string, string, number, Array<string | number>]> = [
  // name, script, number of keys, arguments (after the keys)
  ['claim slots', CLAIM_SLOTS_LUA, 3, [1000, '1', 'token', 60000, 0, 0, '0']],
  ['acquire lease', ACQUIRE_LEASE_LUA, 5, ['token', 60000, 'v1', 0, '1']],
  ['renew lease', RENEW_LEASE_LUA, 1, ['token', 60000]],
  ['release lease', RELEASE_LEASE_LUA, 1, ['token']],
  ['complete lease', COMPLETE_LEASE_LUA, 2, ['token', 'v1']],
  ['begin run', BEGIN_RUN_LUA, 2, ['token', 60000, 1, 1, '0']],
  ['renew run', RENEW_RUN_LUA, 1, ['token', 60000]],
  ['end run', END_RUN_LUA, 2, ['token', '{"ok":true}']],
  ['register migration', REGISTER_MIGRATION_LUA, 1, ['m1', 'a migration', '1']],
  ['set migration progress', SET_MIGRATION_PROGRESS_LUA, 2, ['m1', '0.5', '1', 20]],
  ['add migration error', ADD_MIGRATION_ERROR_LUA, 1, ['it failed', 100]],
  ['set migration direction', SET_MIGRATION_DIRECTION_LUA, 1, ['m1', '1']],
  ['publish replica', PUBLISH_REPLICA_LUA, 2, ['r1', '{}', 60000]],
  ['list replicas', LIST_REPLICAS_LUA, 2, []],
  ['list replicas expiring', LIST_REPLICAS_EXPIRING_LUA, 2, []],
  ['withdraw replica', WITHDRAW_REPLICA_LUA, 2, ['r1']],
  ['set control', SET_CONTROL_LUA, 1, ['routine', '{}']],
  ['list controls', LIST_CONTROLS_LUA, 1, []],
];

describe('Redis scripts, each alone against the server', () => {
  const prefix = `${unique('scripts')}:`;
  let client: Redis;

  beforeAll(async () => {
    client = await connectRedis();
  });

  afterAll(async () => {
    if (client) {
      await deleteRedisKeys(client, prefix);
      client.disconnect();
    }
  });

  it.each(scripts)('%s: compiles and runs', async (name, lua, keys, args) => {
    const sha = (await client.script('LOAD', lua)) as string;
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    const names = Array.from({ length: keys }, (_, i) => `${prefix}{${name}}:${i}`);
    await expect(client.evalsha(sha, keys, ...names, ...args)).resolves.toBeDefined();
  });
});
