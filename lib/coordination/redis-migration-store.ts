import {
  MIGRATION_ERRORS_KEPT,
  MIGRATION_SAMPLES,
  type MigrationStateStore,
  type StoredMigration,
  type StoredMigrationError,
} from '../core/coordinator';
import type { RedisClient } from './clients';
import { SERVER_NOW } from './redis-server-now';

// Epochs are kept apart as integer strings: cjson writes numbers with 14 digits, an epoch has 16.

/** KEYS: state hash. ARGV: id, description, non-destructive ('1' or '0'). */
const REGISTER = `${SERVER_NOW}
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local m
if raw then
  m = cjson.decode(raw)
else
  m = { progress = 0, reverse = false, createdAt = now, samples = {} }
end
m.description = ARGV[2]
m.nonDestructive = ARGV[3] == '1'
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(m))
return 1
`;

/** KEYS: state hash, epochs hash. ARGV: id, progress, epoch. 0: unknown, or fenced by a newer epoch. */
const SET_PROGRESS = `${SERVER_NOW}
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local stored = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if stored > tonumber(ARGV[3]) then return 0 end
local m = cjson.decode(raw)
local progress = tonumber(ARGV[2])
m.progress = progress
m.updatedAt = now
local samples = {}
if type(m.samples) == 'table' then samples = m.samples end
table.insert(samples, { now, progress })
while #samples > ${MIGRATION_SAMPLES} do table.remove(samples, 1) end
m.samples = samples
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(m))
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
`;

/** KEYS: the migration's errors list. ARGV: message. */
const ADD_ERROR = `${SERVER_NOW}
redis.call('LPUSH', KEYS[1], cjson.encode({ message = ARGV[1], at = now }))
redis.call('LTRIM', KEYS[1], 0, ${MIGRATION_ERRORS_KEPT - 1})
return 1
`;

/** KEYS: state hash. ARGV: id, reverse ('1' or '0'). A new direction starts a new rate. */
const SET_DIRECTION = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local m = cjson.decode(raw)
local reverse = ARGV[2] == '1'
if m.reverse ~= reverse then
  m.reverse = reverse
  m.samples = {}
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(m))
return 1
`;

const REGISTER_COMMAND = 'nestjsRoutinesRegisterMigration';
const SET_PROGRESS_COMMAND = 'nestjsRoutinesSetMigrationProgress';
const ADD_ERROR_COMMAND = 'nestjsRoutinesAddMigrationError';
const SET_DIRECTION_COMMAND = 'nestjsRoutinesSetMigrationDirection';

interface ScriptedClient {
  [REGISTER_COMMAND](
    state: string,
    id: string,
    description: string,
    flag: string,
  ): Promise<unknown>;
  [SET_PROGRESS_COMMAND](
    state: string,
    epochs: string,
    id: string,
    progress: string,
    epoch: string,
  ): Promise<number>;
  [ADD_ERROR_COMMAND](errors: string, message: string): Promise<unknown>;
  [SET_DIRECTION_COMMAND](state: string, id: string, reverse: string): Promise<unknown>;
  hgetall(key: string): Promise<Record<string, string>>;
  lrange(key: string, start: number, stop: number): Promise<string[]>;
}

interface StoredJson {
  description: string;
  progress: number;
  reverse: boolean;
  nonDestructive: boolean;
  createdAt: number;
  updatedAt?: number;
  samples: Array<[number, number]> | Record<string, never>;
}

/**
 * Out-of-band migrations' state in Redis: one hash of JSON states (id → state), one of epochs,
 * one list of errors per migration; every write one script, on the server's clock. All keys
 * share the `{migrations}` hash tag: one Redis Cluster slot.
 */
export class RedisMigrationStore implements MigrationStateStore {
  private readonly scripted: ScriptedClient;
  private readonly stateKey: string;
  private readonly epochsKey: string;
  private readonly prefix: string;

  constructor(client: RedisClient, prefix: string) {
    client.defineCommand(REGISTER_COMMAND, { numberOfKeys: 1, lua: REGISTER });
    client.defineCommand(SET_PROGRESS_COMMAND, { numberOfKeys: 2, lua: SET_PROGRESS });
    client.defineCommand(ADD_ERROR_COMMAND, { numberOfKeys: 1, lua: ADD_ERROR });
    client.defineCommand(SET_DIRECTION_COMMAND, { numberOfKeys: 1, lua: SET_DIRECTION });
    this.scripted = client as unknown as ScriptedClient;
    this.prefix = `${prefix}{migrations}`;
    this.stateKey = `${this.prefix}:state`;
    this.epochsKey = `${this.prefix}:epochs`;
  }

  async register(id: string, description: string, nonDestructive: boolean): Promise<void> {
    await this.scripted[REGISTER_COMMAND](
      this.stateKey,
      id,
      description,
      nonDestructive ? '1' : '0',
    );
  }

  async list(): Promise<StoredMigration[]> {
    const [states, epochs] = await Promise.all([
      this.scripted.hgetall(this.stateKey),
      this.scripted.hgetall(this.epochsKey),
    ]);
    return Object.entries(states)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, raw]) => {
        const state = JSON.parse(raw) as StoredJson;
        const migration: StoredMigration = {
          id,
          description: state.description,
          progress: Number(state.progress),
          reverse: state.reverse === true,
          nonDestructive: state.nonDestructive === true,
          createdAt: Number(state.createdAt),
          epoch: Number(epochs[id] ?? 0),
          // cjson writes an empty array as {}
          samples: Array.isArray(state.samples)
            ? state.samples.map(([at, progress]) => [Number(at), Number(progress)])
            : [],
        };
        if (state.updatedAt !== undefined) migration.updatedAt = Number(state.updatedAt);
        return migration;
      });
  }

  async setProgress(id: string, progress: number, epoch: number): Promise<boolean> {
    const done = await this.scripted[SET_PROGRESS_COMMAND](
      this.stateKey,
      this.epochsKey,
      id,
      String(progress),
      String(epoch),
    );
    return Number(done) === 1;
  }

  async addError(id: string, message: string): Promise<void> {
    await this.scripted[ADD_ERROR_COMMAND](this.errorsKey(id), message);
  }

  async errors(id: string, limit = MIGRATION_ERRORS_KEPT): Promise<StoredMigrationError[]> {
    if (limit <= 0) return [];
    const raw = await this.scripted.lrange(this.errorsKey(id), 0, limit - 1);
    return raw.map((entry) => {
      const error = JSON.parse(entry) as StoredMigrationError;
      return { message: String(error.message), at: Number(error.at) };
    });
  }

  async setDirection(id: string, reverse: boolean): Promise<void> {
    await this.scripted[SET_DIRECTION_COMMAND](this.stateKey, id, reverse ? '1' : '0');
  }

  private errorsKey(id: string): string {
    return `${this.prefix}:errors:${id}`;
  }
}
