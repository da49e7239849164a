/**
 * P10: the engine's work per slot as replicas are added (issue 27's baseline).
 *
 * The measuring process starts `replicas` replica processes (this script with `role:
 * 'replica'`), each running the same `routines` cluster-scoped PeriodicRoutines at
 * `intervalMs` through the library's Redis or PostgreSQL coordinator, all on one grid. After
 * the warm-up it zeroes the engine's statistics, lets `durationMs` of slots go by, and reads:
 *
 * - Redis: every command the server ran (`INFO commandstats`, which counts the commands run
 *   inside scripts as well as the script calls), less this process's own;
 * - PostgreSQL: statements (transactions committed or rolled back in the database: each of the
 *   coordinator's statements is its own) and rows written and read in the coordinator's
 *   tables (`pg_stat_user_tables`; rows touched = both), read once the replicas have closed
 *   their connections so that every backend has flushed its counts;
 *
 * each divided by the slots due in the window (routines × window / interval), and the CPU
 * each replica spent in the window. Every slot must run once: `slotsRunTwice` must be 0.
 */
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { PostgresCoordinator } from '../../lib/postgres';
import { RedisCoordinator } from '../../lib/redis';
import { PeriodicRoutine, type Coordinator } from '../../lib/core';
import { main, median, runReplicaProcess, scenarioParams, sleep } from '../harness';

export interface P10Params {
  role?: 'replica';
  engine: 'redis' | 'postgres';
  replicas: number;
  routines: number;
  intervalMs: number;
  warmupMs: number;
  durationMs: number;
  /** Set by the measuring process for its replicas. */
  prefix?: string;
  startAt?: number;
}

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const quiet = { log() {}, warn() {}, error() {} };

interface ReplicaResult {
  runs: string[];
  cpuMs: number;
}

main(async () => {
  const params = scenarioParams<P10Params>();
  return params.role === 'replica' ? replica(params) : measure(params);
});

async function measure(params: P10Params): Promise<object> {
  const prefix = `p10_${process.pid}_${Date.now().toString(36)}`;
  const stats = await statsFor(params.engine, prefix);
  // Time for every replica to load and connect before the grid starts.
  const startAt = Date.now() + 2_000 + params.replicas * 300;
  const windowFrom = startAt + params.warmupMs;
  const windowTo = windowFrom + params.durationMs;
  const children = Array.from({ length: params.replicas }, () =>
    runReplica({ ...params, role: 'replica', prefix, startAt }),
  );
  await sleep(windowFrom - Date.now());
  await stats.reset();
  await sleep(windowTo - Date.now());
  const engineWork = params.engine === 'redis' ? await stats.read() : undefined;
  const results = await Promise.all(children);
  // PostgreSQL: the replicas' backends flush their counts as they close.
  const work: Record<string, number> = engineWork ?? (await stats.readAfterClose());
  await stats.cleanup();
  const slots = (params.routines * params.durationMs) / params.intervalMs;
  const runs = new Map<string, number>();
  for (const result of results)
    for (const key of result.runs) runs.set(key, (runs.get(key) ?? 0) + 1);
  const perSlot = Object.fromEntries(
    Object.entries(work).map(([name, value]) => [`${name}PerSlot`, round(value / slots)]),
  );
  return {
    engine: params.engine,
    replicas: params.replicas,
    routines: params.routines,
    slots,
    ...perSlot,
    cpuMsPerReplicaPerSecond: round(
      median(results.map((result) => result.cpuMs)) / (params.durationMs / 1000),
    ),
    slotsRun: runs.size,
    slotsRunTwice: [...runs.values()].filter((count) => count > 1).length,
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function runReplica(params: P10Params): Promise<ReplicaResult> {
  return runReplicaProcess<ReplicaResult>(__filename, params, 'P10 replica');
}

/** One replica: the routines from `startAt`, CPU counted over the window, runs in the window. */
async function replica(params: P10Params): Promise<ReplicaResult> {
  const { coordinator, close } = engineFor(params.engine, params.prefix!);
  const windowFrom = params.startAt! + params.warmupMs;
  const windowTo = windowFrom + params.durationMs;
  const runs: string[] = [];
  const routines = Array.from(
    { length: params.routines },
    (_, i) =>
      new PeriodicRoutine(() => undefined, {
        name: `r${i}`,
        interval: params.intervalMs,
        scope: 'cluster',
        coordinator,
        logger: quiet,
        onEvent: (event) => {
          const due = event.type === 'run-started' ? event.outcome?.dueAt : undefined;
          if (due !== undefined && due >= windowFrom && due < windowTo)
            runs.push(`${event.routine}@${due}`);
        },
      }),
  );
  await sleep(params.startAt! - Date.now());
  for (const routine of routines) routine.start();
  await sleep(windowFrom - Date.now());
  const cpu = process.cpuUsage();
  await sleep(windowTo - Date.now());
  const spent = process.cpuUsage(cpu);
  await Promise.all(routines.map((routine) => routine.stop()));
  await close();
  return { runs, cpuMs: (spent.user + spent.system) / 1000 };
}

function engineFor(
  engine: 'redis' | 'postgres',
  prefix: string,
): { coordinator: Coordinator; close(): Promise<void> } {
  if (engine === 'redis') {
    const client = new Redis(REDIS_URL, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
    return {
      coordinator: new RedisCoordinator(client, { keyPrefix: `${prefix}:`, logger: quiet }),
      close: async () => void client.disconnect(),
    };
  }
  // Four connections each: 20 replicas stay under PostgreSQL's default max_connections (100).
  const pool = new Pool({ connectionString: DATABASE_URL, max: 4 });
  pool.on('error', () => undefined);
  return {
    coordinator: new PostgresCoordinator(pool, { schema: prefix, logger: quiet }),
    close: () => pool.end(),
  };
}

/** The engine's counters: zeroed at the window's start, read at its end. */
async function statsFor(engine: 'redis' | 'postgres', prefix: string) {
  if (engine === 'redis') {
    const client = new Redis(REDIS_URL);
    return {
      reset: async () => void (await client.config('RESETSTAT')),
      read: async () => {
        const info = await client.info('commandstats');
        let commands = 0;
        for (const [, name, calls] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
          // This process's own CONFIG RESETSTAT and INFO are not the replicas' work.
          if (name !== 'info' && name !== 'config') commands += Number(calls);
        }
        return { commands };
      },
      readAfterClose: async () => ({}),
      cleanup: async () => {
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await client.del(...keys);
        } while (cursor !== '0');
        client.disconnect();
      },
    };
  }
  const pool = new Pool({ connectionString: DATABASE_URL, max: 1 });
  // The tables exist before the replicas start: no replica's first use is in the window.
  await new PostgresCoordinator(pool, { schema: prefix, logger: quiet }).ensureTables();
  return {
    reset: async () => void (await pool.query('SELECT pg_stat_reset()')),
    read: async () => ({}),
    readAfterClose: async () => {
      await pool.query('SELECT pg_stat_clear_snapshot()');
      const database = await pool.query<{ statements: string }>(
        'SELECT xact_commit + xact_rollback AS statements FROM pg_stat_database WHERE datname = current_database()',
      );
      const tables = await pool.query<{ written: string; read: string }>(
        'SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) AS written, ' +
          'coalesce(sum(coalesce(idx_tup_fetch, 0) + seq_tup_read), 0) AS read ' +
          'FROM pg_stat_user_tables WHERE schemaname = $1',
        [prefix],
      );
      return {
        statements: Number(database.rows[0].statements),
        rowsWritten: Number(tables.rows[0].written),
        rowsRead: Number(tables.rows[0].read),
        rowsTouched: Number(tables.rows[0].written) + Number(tables.rows[0].read),
      };
    },
    cleanup: async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${prefix}" CASCADE`);
      await pool.end();
    },
  };
}
