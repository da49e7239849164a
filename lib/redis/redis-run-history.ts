import {
  bucketStart,
  DAY_MS,
  HOUR_MS,
  type RunHistoryBounds,
  type RunHistoryQuery,
  type RunHistoryStore,
  type RunStatsBucket,
  type RunStatsGrain,
  type RunStatsQuery,
  type StoredRun,
} from '../cluster/ports';
import type { RedisClient } from './redis-client';
import { APPEND_RUNS_LUA } from './lua/append-runs.lua';
import { HISTORY_ROUTINES_LUA } from './lua/history-routines.lua';
import { PRUNE_RUNS_LUA } from './lua/prune-runs.lua';
import { READ_RUNS_LUA } from './lua/read-runs.lua';
import { READ_STATS_LUA } from './lua/read-stats.lua';

const APPEND_COMMAND = 'nestjsRoutinesAppendRuns';
const READ_COMMAND = 'nestjsRoutinesReadRuns';
const STATS_COMMAND = 'nestjsRoutinesReadRunStats';
const PRUNE_COMMAND = 'nestjsRoutinesPruneRuns';
const ROUTINES_COMMAND = 'nestjsRoutinesHistoryRoutines';

/** How long stats buckets live: a week of hours, 90 days of days (their keys expire then). */
export const HOURLY_STATS_TTL_MS = 7 * DAY_MS;
export const DAILY_STATS_TTL_MS = 90 * DAY_MS;
/** The most buckets one stats read asks for (a read over a longer range is cut to its end). */
const MAX_BUCKETS = 2_000;

interface ScriptedClient {
  [APPEND_COMMAND](numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
  [READ_COMMAND](
    runs: string,
    max: string,
    min: string,
    limit: number,
    replica: string,
  ): Promise<string[]>;
  [STATS_COMMAND](numKeys: number, ...keys: string[]): Promise<string[][]>;
  [PRUNE_COMMAND](runs: string, before: number, keep: number): Promise<number>;
  [ROUTINES_COMMAND](routines: string, ...names: string[]): Promise<string[]>;
}

/**
 * Run history in Redis. Per routine (its keys share its hash tag): `<prefix>{<routine>}:history`,
 * a sorted set of runs scored by `at`, each member `<replica>\n<json>`; and one hash per stats
 * bucket, `<prefix>{<routine>}:stats:hour:<start>` / `:stats:day:<start>`, counting runs by
 * status and their durations (timed, total, min, max), expiring 7 days (hourly) or 90 days
 * (daily) after the bucket's start: stats need no pruning. An append is one script per routine
 * (it trims the routine to `keepRuns` on the way); `<prefix>{history}:routines` notes the
 * routines, so that `prune` (by age and count) can visit them.
 */
export class RedisRunHistory implements RunHistoryStore {
  private readonly scripted: ScriptedClient;

  constructor(
    client: RedisClient,
    /** `<prefix>{<routine>}:<what>`, as the coordinator's other keys. */
    private readonly key: (routine: string, what: string) => string,
    private readonly routinesKey: string,
  ) {
    client.defineCommand(APPEND_COMMAND, { lua: APPEND_RUNS_LUA });
    client.defineCommand(READ_COMMAND, { numberOfKeys: 1, lua: READ_RUNS_LUA });
    client.defineCommand(STATS_COMMAND, { lua: READ_STATS_LUA });
    client.defineCommand(PRUNE_COMMAND, { numberOfKeys: 1, lua: PRUNE_RUNS_LUA });
    client.defineCommand(ROUTINES_COMMAND, { numberOfKeys: 1, lua: HISTORY_ROUTINES_LUA });
    this.scripted = client as unknown as ScriptedClient;
  }

  async append(runs: readonly StoredRun[], keepRuns = 0): Promise<void> {
    const byRoutine = new Map<string, StoredRun[]>();
    for (const run of runs) {
      const list = byRoutine.get(run.routine) ?? [];
      byRoutine.set(run.routine, list);
      list.push(run);
    }
    if (byRoutine.size === 0) return;
    await this.scripted[ROUTINES_COMMAND](this.routinesKey, ...byRoutine.keys());
    await Promise.all(
      [...byRoutine].map(([routine, list]) => this.appendRoutine(routine, list, keepRuns)),
    );
  }

  async read(routine: string, query: RunHistoryQuery): Promise<StoredRun[]> {
    if (query.limit === 0) return [];
    const members = await this.scripted[READ_COMMAND](
      this.key(routine, 'history'),
      query.to === undefined ? '+inf' : String(query.to),
      query.from === undefined ? '-inf' : String(query.from),
      query.limit,
      query.replica ?? '',
    );
    return members.map((member) => runOf(routine, member));
  }

  async stats(routine: string, query: RunStatsQuery): Promise<RunStatsBucket[]> {
    const { by } = query;
    const width = by === 'hour' ? HOUR_MS : DAY_MS;
    const ttl = by === 'hour' ? HOURLY_STATS_TTL_MS : DAILY_STATS_TTL_MS;
    const to = bucketStart(query.to ?? Date.now(), by);
    const from = Math.max(
      query.from === undefined ? to - ttl : Math.ceil(query.from / width) * width,
      to - (MAX_BUCKETS - 1) * width,
    );
    const starts: number[] = [];
    for (let start = from; start <= to; start += width) starts.push(start);
    if (starts.length === 0) return [];
    const keys = starts.map((start) => this.statsKey(routine, by, start));
    const hashes = await this.scripted[STATS_COMMAND](keys.length, ...keys);
    const buckets: RunStatsBucket[] = [];
    hashes.forEach((flat, i) => {
      if (flat.length > 0) buckets.push(bucketOf(starts[i], flat));
    });
    return buckets;
  }

  async prune(bounds: RunHistoryBounds): Promise<void> {
    const routines = await this.scripted[ROUTINES_COMMAND](this.routinesKey);
    for (const routine of routines) {
      await this.scripted[PRUNE_COMMAND](
        this.key(routine, 'history'),
        bounds.runsBefore,
        bounds.runsPerRoutine,
      );
    }
  }

  private async appendRoutine(
    routine: string,
    runs: readonly StoredRun[],
    keepRuns: number,
  ): Promise<void> {
    const keys = [this.key(routine, 'history')];
    const expiries: number[] = [];
    const indexOf = new Map<string, number>();
    const bucketIndex = (by: RunStatsGrain, at: number): number => {
      const start = bucketStart(at, by);
      const key = this.statsKey(routine, by, start);
      let index = indexOf.get(key);
      if (index === undefined) {
        keys.push(key);
        expiries.push(start + (by === 'hour' ? HOURLY_STATS_TTL_MS : DAILY_STATS_TTL_MS));
        index = keys.length; // Lua's KEYS count from 1
        indexOf.set(key, index);
      }
      return index;
    };
    const args: (string | number)[] = [];
    for (const run of runs) {
      args.push(
        run.at,
        memberOf(run),
        run.status,
        run.status === 'skipped' || run.durationMs === undefined ? '' : String(run.durationMs),
        bucketIndex('hour', run.at),
        bucketIndex('day', run.at),
      );
    }
    await this.scripted[APPEND_COMMAND](
      keys.length,
      ...keys,
      keepRuns,
      expiries.length,
      ...expiries,
      ...args,
    );
  }

  private statsKey(routine: string, by: RunStatsGrain, start: number): string {
    return this.key(routine, `stats:${by}:${start}`);
  }
}

/** `<replica>\n<json>`: the JSON without the routine (the key says it) and the replica. */
function memberOf(run: StoredRun): string {
  const { routine: _routine, replica, ...rest } = run;
  return `${replica}\n${JSON.stringify(rest)}`;
}

function runOf(routine: string, member: string): StoredRun {
  const newline = member.indexOf('\n');
  const replica = member.slice(0, newline);
  const rest = JSON.parse(member.slice(newline + 1)) as Omit<StoredRun, 'routine' | 'replica'>;
  return { routine, replica, ...rest };
}

function bucketOf(start: number, flat: string[]): RunStatsBucket {
  const hash = new Map<string, number>();
  for (let i = 0; i + 1 < flat.length; i += 2) hash.set(flat[i], Number(flat[i + 1]));
  const field = (name: string): number => hash.get(name) ?? 0;
  const bucket: RunStatsBucket = {
    start,
    runs: field('runs'),
    succeeded: field('succeeded'),
    failed: field('failed'),
    cancelled: field('cancelled'),
    skipped: field('skipped'),
  };
  const timed = field('timed');
  if (timed > 0) {
    const total = field('total');
    bucket.durationMs = { min: field('min'), avg: total / timed, max: field('max'), total };
  }
  return bucket;
}
