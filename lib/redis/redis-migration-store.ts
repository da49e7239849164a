import {
  MIGRATION_ERRORS_KEPT,
  MIGRATION_SAMPLES,
  type MigrationStateStore,
  type StoredMigration,
  type StoredMigrationError,
} from '../cluster/ports';
import type { RedisClient } from './redis-client';
import { ADD_MIGRATION_ERROR_LUA } from './lua/add-migration-error.lua';
import { REGISTER_MIGRATION_LUA } from './lua/register-migration.lua';
import { SET_MIGRATION_DIRECTION_LUA } from './lua/set-migration-direction.lua';
import { SET_MIGRATION_PROGRESS_LUA } from './lua/set-migration-progress.lua';

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
    samplesKept: number,
  ): Promise<number>;
  [ADD_ERROR_COMMAND](errors: string, message: string, kept: number): Promise<unknown>;
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
    client.defineCommand(REGISTER_COMMAND, { numberOfKeys: 1, lua: REGISTER_MIGRATION_LUA });
    client.defineCommand(SET_PROGRESS_COMMAND, {
      numberOfKeys: 2,
      lua: SET_MIGRATION_PROGRESS_LUA,
    });
    client.defineCommand(ADD_ERROR_COMMAND, { numberOfKeys: 1, lua: ADD_MIGRATION_ERROR_LUA });
    client.defineCommand(SET_DIRECTION_COMMAND, {
      numberOfKeys: 1,
      lua: SET_MIGRATION_DIRECTION_LUA,
    });
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
      MIGRATION_SAMPLES,
    );
    return Number(done) === 1;
  }

  async addError(id: string, message: string): Promise<void> {
    await this.scripted[ADD_ERROR_COMMAND](this.errorsKey(id), message, MIGRATION_ERRORS_KEPT);
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
