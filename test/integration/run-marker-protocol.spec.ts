import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { PostgresRunMarkers } from '../../lib/postgres/postgres-run-markers';
import { RedisRunMarkers } from '../../lib/redis/redis-run-markers';
import { redisRoutineKey } from '../../lib/redis/redis-keys';
import type {
  BeginAnswer,
  BeginRun,
  RenewAnswer,
  RunMarkerState,
  RunMarkers,
} from '../../lib/cluster/ports/run-markers';
import { beginRun, endRun, renewRun } from '../../lib/cluster/run-marker-transitions';
import { runTableSql } from '../../lib/postgres/sql/run-table.sql';
import { connectRedis, deleteRedisKeys, dropSchema, postgresPool, unique } from './support';

/**
 * One place for the run-marker protocol: the transitions of cluster/run-marker-transitions.ts exist in
 * TypeScript (run on a state object by the in-memory coordinator, and behind a compare-and-set
 * on a row by the PostgreSQL one) and in Lua (the Redis coordinator's scripts). The same table
 * of cases runs through each, from the same stored state, and every answer must be the same.
 *
 * Times in a case are offsets from the engine's clock (far from any boundary: a minute). Epochs
 * are answered relative to the case's starting epoch: a case that starts from a stored epoch
 * (above any clock in µs, so the engines' clock floor plays no part) expects exact numbers; a
 * case that starts from nothing expects 1 for its first run (whatever the engine's first epoch
 * is), the same for a retried call, and `'grows'` where a later run must only get a larger one.
 */

const MINUTE = 60_000;
/** A stored epoch above the clock in µs for centuries, below 2^53. */
const STORED_EPOCH = 8_000_000_000_000_000;

interface Marker {
  token: string;
  /** ms from now; negative: expired. */
  in: number;
  cancel?: boolean;
}
interface Stored {
  running?: Marker[];
  waiting?: Marker[];
  /** Omitted: a routine with no state (epoch 0). */
  epoch?: number;
  previous?: string;
}

type Step =
  | {
      begin: string;
      request?: Partial<Omit<BeginRun, 'token'>>;
      expect:
        | { state: 'running'; epoch: number | 'grows'; previous?: string }
        | { state: 'queued' | 'busy' };
    }
  | { renew: string; expect: RenewAnswer }
  | { end: string; previous?: string };

interface Case {
  name: string;
  stored: Stored;
  steps: Step[];
}

const CASES: Case[] = [
  {
    name: 'begin with room runs, with the next epoch',
    stored: { epoch: STORED_EPOCH },
    steps: [{ begin: 'a', expect: { state: 'running', epoch: 1 } }],
  },
  {
    name: 'begin without room and no queue is busy',
    stored: { epoch: STORED_EPOCH, running: [{ token: 'a', in: MINUTE }] },
    steps: [{ begin: 'b', expect: { state: 'busy' } }],
  },
  {
    name: 'begin without room takes a free place in the queue, then the queue is full',
    stored: { epoch: STORED_EPOCH, running: [{ token: 'a', in: MINUTE }] },
    steps: [
      { begin: 'b', request: { queue: 1 }, expect: { state: 'queued' } },
      { begin: 'c', request: { queue: 1 }, expect: { state: 'busy' } },
      { renew: 'a', expect: 'running' },
    ],
  },
  {
    name: 'a waiting slot runs once first in line and the run ended',
    stored: {
      epoch: STORED_EPOCH,
      running: [{ token: 'a', in: MINUTE }],
      waiting: [{ token: 'b', in: MINUTE }],
    },
    steps: [
      { begin: 'b', request: { queue: 2 }, expect: { state: 'queued' } },
      { begin: 'c', request: { queue: 2 }, expect: { state: 'queued' } },
      { end: 'a' },
      { begin: 'c', request: { queue: 2 }, expect: { state: 'queued' } },
      { begin: 'b', request: { queue: 2 }, expect: { state: 'running', epoch: 1 } },
      { end: 'b' },
      { begin: 'c', request: { queue: 2 }, expect: { state: 'running', epoch: 2 } },
    ],
  },
  {
    name: 'a new slot waits behind a waiting one even when there is room',
    stored: { epoch: STORED_EPOCH, waiting: [{ token: 'w', in: MINUTE }] },
    steps: [
      { begin: 'n', request: { queue: 2 }, expect: { state: 'queued' } },
      { begin: 'w', request: { queue: 2 }, expect: { state: 'running', epoch: 1 } },
    ],
  },
  {
    name: 'cancel-other: the waiting slot asks the run in flight to stop',
    stored: { epoch: STORED_EPOCH, running: [{ token: 'a', in: MINUTE }] },
    steps: [
      { renew: 'a', expect: 'running' },
      { begin: 'b', request: { queue: 1, cancel: true }, expect: { state: 'queued' } },
      { renew: 'a', expect: 'cancelled' },
      { renew: 'b', expect: 'running' },
      { end: 'a' },
      { begin: 'b', request: { queue: 1, cancel: true }, expect: { state: 'running', epoch: 1 } },
      { renew: 'b', expect: 'running' },
    ],
  },
  {
    name: 'a marker stored with its cancel flag answers cancelled',
    stored: { epoch: STORED_EPOCH, running: [{ token: 'a', in: MINUTE, cancel: true }] },
    steps: [{ renew: 'a', expect: 'cancelled' }],
  },
  {
    name: 'renew of a running marker, of a place in the queue, of a lost one',
    stored: {
      epoch: STORED_EPOCH,
      running: [
        { token: 'a', in: MINUTE },
        { token: 'x', in: -MINUTE },
      ],
      waiting: [{ token: 'b', in: MINUTE }],
    },
    steps: [
      { renew: 'a', expect: 'running' },
      { renew: 'b', expect: 'running' },
      { renew: 'x', expect: 'lost' },
      { renew: 'nobody', expect: 'lost' },
    ],
  },
  {
    name: 'expired markers and places are dropped before a begin',
    stored: {
      epoch: STORED_EPOCH,
      running: [{ token: 'dead', in: -MINUTE }],
      waiting: [{ token: 'gone', in: -1000 }],
    },
    steps: [
      { begin: 'a', expect: { state: 'running', epoch: 1 } },
      { renew: 'dead', expect: 'lost' },
      { begin: 'gone', request: { queue: 1 }, expect: { state: 'queued' } },
    ],
  },
  {
    name: 'concurrency: runs at once up to the limit',
    stored: { epoch: STORED_EPOCH, running: [{ token: 'a', in: MINUTE }] },
    steps: [
      { begin: 'b', request: { limit: 2 }, expect: { state: 'running', epoch: 1 } },
      { begin: 'c', request: { limit: 2 }, expect: { state: 'busy' } },
      { end: 'a' },
      { begin: 'c', request: { limit: 2 }, expect: { state: 'running', epoch: 2 } },
    ],
  },
  {
    name: 'end with a previous: the next run gets it',
    stored: { epoch: STORED_EPOCH, running: [{ token: 'a', in: MINUTE }] },
    steps: [
      { end: 'a', previous: '{"n":1}' },
      { begin: 'b', expect: { state: 'running', epoch: 1, previous: '{"n":1}' } },
    ],
  },
  {
    name: 'end without a previous keeps the stored one',
    stored: { epoch: STORED_EPOCH, running: [{ token: 'a', in: MINUTE }], previous: '{"n":0}' },
    steps: [
      { end: 'a' },
      { begin: 'b', expect: { state: 'running', epoch: 1, previous: '{"n":0}' } },
    ],
  },
  {
    name: 'end of an expired run, or of a waiting slot, leaves the stored previous alone',
    stored: {
      epoch: STORED_EPOCH,
      running: [{ token: 'late', in: -MINUTE }],
      waiting: [{ token: 'w', in: MINUTE }],
      previous: '"old"',
    },
    steps: [
      { end: 'late', previous: '"late"' },
      { end: 'w', previous: '"waiting"' },
      { begin: 'b', expect: { state: 'running', epoch: 1, previous: '"old"' } },
    ],
  },
  {
    name: 'a retried begin of a running run answers its own epoch',
    stored: {},
    steps: [
      { begin: 'a', expect: { state: 'running', epoch: 1 } },
      { begin: 'a', expect: { state: 'running', epoch: 1 } },
      { begin: 'b', request: { queue: 1 }, expect: { state: 'queued' } },
      { begin: 'c', expect: { state: 'busy' } },
      { begin: 'a', expect: { state: 'running', epoch: 1 } },
    ],
  },
  {
    name: 'epochs only grow, from a routine with no state on',
    stored: {},
    steps: [
      { begin: 'a', expect: { state: 'running', epoch: 1 } },
      { end: 'a' },
      { begin: 'b', expect: { state: 'running', epoch: 'grows' } },
      { begin: 'c', request: { queue: 1 }, expect: { state: 'queued' } },
      { end: 'b' },
      { begin: 'c', request: { queue: 1 }, expect: { state: 'running', epoch: 'grows' } },
    ],
  },
];

/** An engine under test: its run markers, how a routine's state is stored, and its clock. */
interface Engine {
  markers: RunMarkers;
  store(routine: string, stored: Stored): Promise<void>;
}

type Answer = BeginAnswer | RenewAnswer | null;

/** The TypeScript transitions on a state object, with `previous` kept as the in-memory store does. */
function typescriptEngine(now: () => Promise<number>): Engine {
  const states = new Map<string, RunMarkerState>();
  const previous = new Map<string, string>();
  return {
    markers: {
      async begin(routine, request) {
        const answer = beginRun(states.get(routine)!, request, await now());
        const last = previous.get(routine);
        return answer.state === 'running' && last !== undefined
          ? { ...answer, previous: last }
          : answer;
      },
      async renew(routine, token, ttlMs) {
        return renewRun(states.get(routine)!, token, ttlMs, await now());
      },
      async end(routine, token, outcome) {
        const held = endRun(states.get(routine)!, token, await now());
        if (held && outcome !== undefined) previous.set(routine, outcome);
      },
    },
    async store(routine, stored) {
      states.set(routine, stateAt(stored, await now()));
      if (stored.previous !== undefined) previous.set(routine, stored.previous);
    },
  };
}

function stateAt(stored: Stored, now: number): RunMarkerState {
  const at = (marker: Marker) => ({
    token: marker.token,
    expiresAt: now + marker.in,
    ...(marker.cancel ? { cancel: true } : {}),
  });
  return {
    running: (stored.running ?? []).map(at),
    waiting: (stored.waiting ?? []).map(at),
    epoch: stored.epoch ?? 0,
  };
}

async function run(engine: Engine, routine: string, test: Case): Promise<Answer[]> {
  await engine.store(routine, test.stored);
  const answers: Answer[] = [];
  for (const step of test.steps) {
    if ('begin' in step) {
      answers.push(
        await engine.markers.begin(routine, {
          token: step.begin,
          ttlMs: MINUTE,
          limit: 1,
          queue: 0,
          cancel: false,
          ...step.request,
        }),
      );
    } else if ('renew' in step) {
      answers.push(await engine.markers.renew(routine, step.renew, MINUTE));
    } else {
      await engine.markers.end(routine, step.end, step.previous);
      answers.push(null);
    }
  }
  return answers;
}

/** The answers as the case's table writes them: epochs relative to the case's first. */
function asWritten(test: Case, answers: Answer[]): unknown[] {
  let base = test.stored.epoch;
  let last = -Infinity;
  return answers.map((answer, i) => {
    const step = test.steps[i];
    if (answer === null || typeof answer === 'string' || answer.state !== 'running') return answer;
    base ??= answer.epoch - 1;
    const written = 'begin' in step && step.expect.state === 'running' ? step.expect.epoch : 0;
    const epoch =
      written === 'grows'
        ? answer.epoch > last
          ? 'grows'
          : answer.epoch - base
        : answer.epoch - base;
    last = Math.max(last, answer.epoch);
    return { ...answer, epoch };
  });
}

function expected(test: Case): unknown[] {
  return test.steps.map((step) => ('end' in step ? null : step.expect));
}

describe('the run-marker protocol: the same cases through TypeScript and Lua', () => {
  const prefix = `${unique('protocol')}:`;
  const schema = unique('protocol');
  const table = `"${schema}"."runs"`;
  let redis: Redis;
  let pool: Pool;
  const engines = new Map<string, Engine>();

  beforeAll(async () => {
    redis = await connectRedis();
    pool = postgresPool(2);
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(runTableSql(table));
    // The TypeScript transitions run on the Redis server's clock, as the Lua does.
    const serverNow = async () => {
      const [seconds, micros] = await redis.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    };
    const key = (routine: string, what: string) => redisRoutineKey(prefix, routine, what);
    engines.set('typescript', typescriptEngine(serverNow));
    engines.set('redis (Lua)', {
      markers: new RedisRunMarkers(redis, key),
      async store(routine, stored) {
        const state = stateAt(stored, await serverNow());
        await redis.set(
          key(routine, 'runs'),
          JSON.stringify({ ...state, epoch: String(state.epoch) }),
        );
        if (stored.previous !== undefined)
          await redis.set(key(routine, 'previous'), stored.previous);
      },
    });
    engines.set('postgres (TypeScript on a row)', {
      markers: new PostgresRunMarkers((text, values) => pool.query(text, values), table),
      async store(routine, stored) {
        const { rows } = await pool.query<{ now: number }>(
          'SELECT extract(epoch from clock_timestamp()) * 1000 AS now',
        );
        const state = stateAt(stored, Number(rows[0].now));
        await pool.query(`INSERT INTO ${table} (routine, state, previous) VALUES ($1, $2, $3)`, [
          routine,
          JSON.stringify(state),
          stored.previous ?? null,
        ]);
      },
    });
  });

  afterAll(async () => {
    if (redis) {
      await deleteRedisKeys(redis, prefix);
      redis.disconnect();
    }
    if (pool) {
      await dropSchema(pool, schema);
      await pool.end();
    }
  });

  it.each(CASES.map((test, i) => [test.name, i] as const))('%s', async (_, i) => {
    const test = CASES[i];
    const results: Record<string, unknown[]> = {};
    for (const [name, engine] of engines) {
      results[name] = asWritten(test, await run(engine, `case-${i}`, test));
    }
    const want = expected(test);
    for (const name of engines.keys()) expect({ [name]: results[name] }).toEqual({ [name]: want });
  });
});
