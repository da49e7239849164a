import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import * as path from 'node:path';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { Pool } from 'pg';
import { redisEngineKey, redisRoutineKey } from '../../lib/redis/redis-keys';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export type Engine = 'redis' | 'postgres';
export const ENGINES: readonly Engine[] = ['redis', 'postgres'];

/** A short random suffix, so that runs and tests never share keys, rows or schemas. */
export function unique(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** A Redis client that fails fast instead of queueing while the server is away. */
export async function connectRedis(url = REDIS_URL, options: RedisOptions = {}): Promise<Redis> {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: () => 200,
    lazyConnect: true,
    ...options,
  });
  client.on('error', () => undefined); // reported through rejected commands
  await client.connect();
  return client;
}

export function postgresPool(max = 10): Pool {
  const pool = new Pool({ connectionString: DATABASE_URL, max, connectionTimeoutMillis: 5000 });
  pool.on('error', () => undefined); // an idle client losing its connection
  return pool;
}

/**
 * Writes a routine's marker key as an engine in use since long ago would have it, so that
 * the Redis coordinator does not treat its first call as following a data loss (on a Cluster,
 * which has no engine mark) or a new engine (its first call dates the engine's mark from it).
 */
export async function primeRedisRoutine(
  client: Redis | Cluster,
  keyPrefix: string,
  routine: string,
): Promise<void> {
  // Lost nothing since long before any slot a test uses.
  const key = redisRoutineKey(keyPrefix, routine, 'alive');
  await client.hset(key, 'since', '-100000000000000', 'last', '0');
}

/**
 * Writes the Redis coordinator's engine mark as an engine in use since long ago would have it,
 * with no routine's marker: a routine the tests then use is new to a known engine.
 */
export async function primeRedisEngine(client: Redis | Cluster, keyPrefix: string): Promise<void> {
  await client.set(redisEngineKey(keyPrefix), '-100000000000000');
}

/**
 * Creates the PostgreSQL coordinator's tables and dates them long ago, as in a database in use
 * for years, so that the coordinator does not treat its first calls as following a loss.
 */
export async function primePostgres(
  pool: Pool,
  coordinator: { ensureTables(): Promise<void> },
  schema: string,
  leaseTable = 'routines_leases',
): Promise<void> {
  await coordinator.ensureTables();
  await pool.query(`UPDATE "${schema}"."${leaseTable}_since" SET since = '1900-01-01'`);
}

/** Deletes every key under `prefix` (SCAN, not KEYS). */
export async function deleteRedisKeys(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}

export async function dropSchema(pool: Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/**
 * The shared Redis and PostgreSQL for one replica test file, with a key prefix and a schema of
 * its own; after the file, kills every child and removes what the test wrote.
 */
export function useSharedEngines(): {
  readonly redis: Redis;
  readonly pool: Pool;
  readonly keyPrefix: string;
  readonly schema: string;
  /** Makes the engine look long in use for the replicas' routines `<routine>:periodic|lease`. */
  prime(engine: Engine, routine: string): Promise<void>;
} {
  let redis: Redis | undefined;
  let pool: Pool | undefined;
  const keyPrefix = `${unique('it')}:`;
  const schema = unique('routines_it');
  beforeAll(async () => {
    redis = await connectRedis();
    pool = postgresPool(2);
  });
  afterAll(async () => {
    await killAll();
    await deleteRedisKeys(redis!, keyPrefix);
    redis!.disconnect();
    await dropSchema(pool!, schema);
    await pool!.end();
  });
  return {
    keyPrefix,
    schema,
    async prime(engine: Engine, routine: string) {
      if (engine === 'postgres') {
        const { PostgresCoordinator } = await import('../../lib/postgres');
        return primePostgres(pool!, new PostgresCoordinator(pool!, { schema }), schema);
      }
      for (const kind of ['periodic', 'lease', 'complete'])
        await primeRedisRoutine(redis!, keyPrefix, `${routine}:${kind}`);
    },
    get redis() {
      return redis!;
    },
    get pool() {
      return pool!;
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  predicate: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------
// Child processes. Every one is tracked so that `killAll()` (in afterAll) leaves none behind.

const children = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGKILLs every child still running and waits for them to exit. */
export async function killAll(): Promise<void> {
  await Promise.all([...children].map((child) => kill(child, 'SIGKILL')));
}

export function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Stops a child gracefully (SIGTERM), then SIGKILLs it if it has not exited in time. */
export async function stopGracefully(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/** What a replica fixture reports on stdout, one JSON object per line. */
export interface ReplicaEvent {
  type:
    | 'ready'
    | 'claim'
    | 'run'
    | 'skip'
    | 'released'
    | 'lease'
    | 'aborted'
    | 'write'
    | 'work-started'
    | 'work-done'
    | 'completed'
    | 'engine-error'
    | 'run-end'
    | 'previous'
    | 'exiting';
  pid: number;
  at: number;
  slot?: number;
  won?: boolean;
  roundTrips?: number;
  reason?: string;
  epoch?: number;
  message?: string;
  /** The dashboard fixture: which routine ran. */
  routine?: string;
  /** Overlap across replicas: the policy that decided, the run's end, the cursor it read. */
  policy?: string;
  status?: string;
  cursor?: number;
}

export interface ReplicaConfig {
  engine: Engine;
  /** 'periodic', 'lease', 'complete' (a cluster routine whose start returns), comma-separated. */
  mode: string;
  routine: string;
  redisUrl?: string;
  databaseUrl?: string;
  keyPrefix?: string;
  schema?: string;
  intervalMs?: number;
  missed?: 'skip' | 'once';
  leaseTtl?: string;
  renewEvery?: string;
  retryEvery?: string;
  clockOffsetMs?: number;
  version?: string;
  workMs?: number;
  writeEveryMs?: number;
  checkLease?: boolean;
  runMs?: number;
  claimLatencyMs?: number;
  overlap?: 'skip' | 'buffer-one' | 'buffer-all' | 'cancel-other' | 'allow';
}

export class Replica {
  readonly events: ReplicaEvent[] = [];
  readonly process: ChildProcess;
  private stderr = '';
  private buffered = '';

  constructor(
    readonly label: string,
    config: ReplicaConfig | Record<string, unknown>,
    /** The fixture under fixtures/ that runs the replica: the core-only one by default. */
    fixture = 'replica.ts',
  ) {
    const root = path.resolve(__dirname, '../..');
    this.process = track(
      spawn(
        process.execPath,
        [
          '--enable-source-maps',
          '-r',
          path.join(__dirname, 'fixtures/register.js'),
          path.join(__dirname, 'fixtures', fixture),
        ],
        {
          cwd: root,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: {
            ...process.env,
            REPLICA_CONFIG: JSON.stringify({
              databaseUrl: DATABASE_URL,
              redisUrl: REDIS_URL,
              ...config,
            }),
          },
        },
      ),
    );
    this.process.stdout?.setEncoding('utf8');
    this.process.stdout?.on('data', (chunk: string) => this.onStdout(chunk));
    this.process.stderr?.setEncoding('utf8');
    this.process.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-20_000);
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  of(type: ReplicaEvent['type']): ReplicaEvent[] {
    return this.events.filter((event) => event.type === type);
  }

  ready(timeoutMs = 15_000): Promise<ReplicaEvent> {
    return waitFor(
      `${this.label} to be ready`,
      () => {
        if (!this.alive) throw new Error(`${this.label} exited early:\n${this.log()}`);
        return this.events.find((event) => event.type === 'ready');
      },
      timeoutMs,
    );
  }

  /** The replica's stderr (its routines' logs), for failure messages. */
  log(): string {
    return this.stderr;
  }

  private onStdout(chunk: string): void {
    this.buffered += chunk;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      if (!line.trim()) continue;
      try {
        this.events.push(JSON.parse(line) as ReplicaEvent);
      } catch {
        this.stderr += `[unparsed stdout] ${line}\n`;
      }
    }
  }
}

/** All events of several replicas, oldest first. */
export function merged(replicas: readonly Replica[], type: ReplicaEvent['type']): ReplicaEvent[] {
  return replicas.flatMap((replica) => replica.of(type)).sort((a, b) => a.at - b.at);
}

// ---------------------------------------------------------------------------------------
// A throwaway redis-server, for the "engine down" tests.

export class ThrowawayRedis {
  private server: ChildProcess | undefined;
  /** `args` replace the defaults (no persistence) where they name the same option. */
  constructor(
    readonly port: number,
    private readonly args: string[] = [],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = track(
      spawn(
        'redis-server',
        [
          '--port',
          String(this.port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--protected-mode',
          'no',
          ...this.args,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    this.server = server;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server did not start:\n${output}`)),
        10_000,
      );
      server.stdout?.setEncoding('utf8');
      server.stdout?.on('data', (chunk: string) => {
        output += chunk;
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      server.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${output}`));
      });
    });
  }

  /** Kills the server outright, as a crash would. */
  async stop(): Promise<void> {
    if (this.server) await kill(this.server, 'SIGKILL');
    this.server = undefined;
  }
}

// ---------------------------------------------------------------------------------------
// A TCP proxy in front of the shared PostgreSQL, to take "the database" away and bring it
// back on the same port without touching the real server.

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  /** Refuses new connections and cuts the open ones, as a crashed server would. */
  stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
