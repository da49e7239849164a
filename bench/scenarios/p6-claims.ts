/**
 * P6: claim latency of cluster periodic routines, three replicas on one engine.
 *
 * The measuring process starts three replica processes (this script with `role: 'replica'`).
 * Each replica runs `count` cluster-scoped PeriodicRoutines at `intervalMs` on its own
 * client (ioredis) or pool (pg, 10 connections), all on the same grid, and times every claim
 * from the call to its answer. `ours` claims through the library's coordinator (PostgreSQL:
 * one statement for all claims due at one instant; Redis: one script per claim). `raw` is the
 * baseline the library replaced: one round trip per claim, sent as each routine's timer fires
 * (`SET NX PX`, or one `INSERT ... ON CONFLICT DO NOTHING` per claim on the pool).
 * Reported: p50 / p99 / max of every slot's first claim (as its tick fires) of every replica
 * after the warm-up, and how many slots ran more than once (must be 0).
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { PostgresCoordinator } from '../../lib/postgres';
import { RedisCoordinator } from '../../lib/redis';
import { PeriodicRoutine, type Coordinator } from '../../lib/core';
import { main, percentileSorted, runReplicaProcess, scenarioParams, sleep } from '../harness';

export interface P6Params {
  role?: 'replica';
  engine: 'redis' | 'postgres';
  variant: 'ours' | 'raw';
  count: number;
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

main(async () => {
  const params = scenarioParams<P6Params>();
  return params.role === 'replica' ? replica(params) : measure(params);
});

async function measure(params: P6Params): Promise<object> {
  const prefix = `p6_${process.pid}_${Date.now().toString(36)}`;
  const setup = await engineFor(params.engine, prefix);
  await setup.prime(Array.from({ length: params.count }, (_, i) => `r${i}`));
  const startAt = Date.now() + 1_500;
  const replicas = [0, 1, 2].map(() => runReplica({ ...params, role: 'replica', prefix, startAt }));
  const results = await Promise.all(replicas);
  await setup.cleanup();
  const latencies = Float64Array.from(results.flatMap((result) => result.latencies)).sort();
  const runs = new Map<string, number>();
  for (const result of results)
    for (const key of result.runs) runs.set(key, (runs.get(key) ?? 0) + 1);
  return {
    engine: params.engine,
    variant: params.variant,
    count: params.count,
    claims: latencies.length,
    p50Ms: percentileSorted(latencies, 50),
    p99Ms: percentileSorted(latencies, 99),
    maxMs: latencies[latencies.length - 1],
    errors: results.reduce((sum, result) => sum + result.errors, 0),
    slotsRun: runs.size,
    slotsRunTwice: [...runs.values()].filter((count) => count > 1).length,
  };
}

async function runReplica(
  params: P6Params,
): Promise<{ latencies: number[]; runs: string[]; errors: number }> {
  // The samples go through a file: a large write to a pipe is cut short by process.exit.
  const { file } = await runReplicaProcess<{ file: string }>(__filename, params, 'P6 replica');
  const result = JSON.parse(readFileSync(file, 'utf8'));
  unlinkSync(file);
  return result;
}

async function replica(params: P6Params): Promise<object> {
  const engine = await engineFor(params.engine, params.prefix!);
  const latencies: number[] = [];
  const runs: string[] = [];
  let errors = 0;
  const measureFrom = params.startAt! + params.warmupMs;
  const asked = new Set<string>();
  const timed: Coordinator = {
    kind: engine.coordinator.kind,
    claimSlot(routine, slot, ttlMs, token) {
      // Timed: a slot's first claim, made as its tick fires. A replica that lost the claim
      // looks once more later (in case the winner was shutting down); that second look is
      // not what this measures.
      const key = `${routine}@${slot}`;
      const first = !asked.has(key);
      asked.add(key);
      const started = performance.now();
      const claim =
        params.variant === 'ours'
          ? engine.coordinator.claimSlot(routine, slot, ttlMs, token)
          : engine.raw(routine, slot, ttlMs);
      return claim.then(
        (won) => {
          if (first && slot >= measureFrom) latencies.push(performance.now() - started);
          return won;
        },
        (error: unknown) => {
          errors++;
          throw error;
        },
      );
    },
    releaseSlot: (routine, slot, token) => engine.coordinator.releaseSlot!(routine, slot, token),
    acquireLease: () => Promise.resolve(null),
    renewLease: () => Promise.resolve(false),
    releaseLease: () => Promise.resolve(),
  };
  const routines = Array.from(
    { length: params.count },
    (_, i) =>
      new PeriodicRoutine((_signal: AbortSignal, ...rest: unknown[]) => void rest, {
        name: `r${i}`,
        interval: params.intervalMs,
        scope: 'cluster',
        coordinator: timed,
        logger: quiet,
        onEvent: (event) => {
          if (event.type === 'run-started') runs.push(`${event.routine}@${event.outcome?.dueAt}`);
        },
      }),
  );
  await sleep(params.startAt! - Date.now());
  for (const routine of routines) routine.start();
  await sleep(params.warmupMs + params.durationMs);
  await Promise.all(routines.map((routine) => routine.stop()));
  await engine.close();
  const file = join(tmpdir(), `p6-${process.pid}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify({ latencies, runs, errors }));
  return { file };
}

async function engineFor(engine: 'redis' | 'postgres', prefix: string) {
  if (engine === 'redis') {
    const client = new Redis(REDIS_URL, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
    const keyPrefix = `${prefix}:`;
    const coordinator = new RedisCoordinator(client, { keyPrefix, logger: quiet });
    return {
      coordinator,
      raw: async (routine: string, slot: number, ttlMs: number) =>
        (await client.set(
          `${keyPrefix}raw:${routine}:${slot}`,
          '1',
          'PX',
          Math.ceil(ttlMs),
          'NX',
        )) === 'OK',
      prime: async (routines: string[]) => {
        const pipeline = client.pipeline();
        for (const routine of routines)
          pipeline.hset(`${keyPrefix}{${routine}}:alive`, 'since', '0', 'last', '0');
        await pipeline.exec();
      },
      cleanup: async () => {
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await client.del(...keys);
        } while (cursor !== '0');
        client.disconnect();
      },
      close: async () => void client.disconnect(),
    };
  }
  const pool = new Pool({ connectionString: DATABASE_URL, max: 10 });
  pool.on('error', () => undefined);
  const schema = prefix;
  const coordinator = new PostgresCoordinator(pool, { schema, logger: quiet });
  await coordinator.ensureTables();
  const rawSql =
    `INSERT INTO "${schema}".routines_slots (routine, slot, claimed_at, expires_at) ` +
    `VALUES ($1, $2, now(), now() + ($3::float8 * interval '1 millisecond')) ON CONFLICT DO NOTHING RETURNING 1`;
  return {
    coordinator,
    raw: async (routine: string, slot: number, ttlMs: number) =>
      (await pool.query(rawSql, [`raw:${routine}`, slot, ttlMs])).rowCount === 1,
    prime: async () => {
      await pool.query(`UPDATE "${schema}".routines_leases_since SET since = '1970-01-01'`);
    },
    cleanup: async () => {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    },
    close: () => pool.end(),
  };
}
