import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Client, Pool } from 'pg';
import { PostgresCoordinator } from '../../lib/postgres';
import { RedisCoordinator } from '../../lib/redis';
import { PeriodicRoutine, RoutinesConfigurationError } from '../../lib/core';
import {
  connectRedis,
  DATABASE_URL,
  dropSchema,
  freePort,
  killAll,
  postgresPool,
  sleep,
  stopGracefully,
  ThrowawayRedis,
  track,
  unique,
  waitFor,
} from './support';

/** Clients and servers that would break the guarantees: refused, or warned about, once. */
describe('bad clients and risky servers', () => {
  afterAll(() => killAll());

  it('refuses a pg.Client where a Pool is expected, naming the class, the option and the value', () => {
    const client = new Client({ connectionString: DATABASE_URL }); // never connected
    const attempt = () => new PostgresCoordinator(client as never);
    expect(attempt).toThrow(RoutinesConfigurationError);
    expect(attempt).toThrow(
      /PostgresCoordinator: option 'pool' = .*Client.* must be a pg\.Pool, not a single pg\.Client/,
    );
    expect(() => new PostgresCoordinator({} as never)).toThrow(/must be a pg\.Pool/);
  });

  it('refuses an object that is not an ioredis client', () => {
    const nodeRedisLike = {
      set: async () => 'OK',
      get: async () => null,
      connect: async () => undefined,
    };
    expect(() => new RedisCoordinator(nodeRedisLike as never)).toThrow(
      /RedisCoordinator: option 'client' = .* must be an ioredis client/,
    );
    expect(() => new RedisCoordinator(undefined as never)).toThrow(RoutinesConfigurationError);
  });

  it('says once, not once per tick per routine, that the database does not exist', async () => {
    const url = new URL(DATABASE_URL);
    url.pathname = `/${unique('missing_db')}`;
    const pool = new Pool({ connectionString: url.toString(), connectionTimeoutMillis: 2_000 });
    const coordinator = new PostgresCoordinator(pool, { logger: { warn() {} } });
    const warnings: string[] = [];
    const logger = { log() {}, warn: (m: string) => warnings.push(m), error() {} };
    const routines = ['a', 'b', 'c'].map(
      (name) =>
        new PeriodicRoutine(() => undefined, {
          name,
          // A claim's deadline is half the gap to the next slot: at 1 s, a connection refused
          // by a busy server still answers within it (at 100 ms it was 38 ms, and a loaded
          // machine's answer came after it, so the warning said "did not answer").
          interval: 1_000,
          scope: 'cluster',
          coordinator,
          logger,
        }),
    );
    for (const routine of routines) routine.start();
    await sleep(5_500);
    await Promise.all(routines.map((routine) => routine.stop()));
    await pool.end();
    expect(routines.every((routine) => routine.info().counters.skipped >= 4)).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/database ".*" does not exist/);
  }, 20_000);

  it('warns once when the Redis server may evict claims and leases', async () => {
    const server = new ThrowawayRedis(await freePort(), ['--maxmemory-policy', 'allkeys-lru']);
    await server.start();
    const client = await connectRedis(server.url);
    const warnings: string[] = [];
    const coordinator = new RedisCoordinator(client, { logger: { warn: (m) => warnings.push(m) } });
    try {
      await coordinator.claimSlot('a', Date.now() + 60_000, 60_000).catch(() => undefined);
      await coordinator.claimSlot('b', Date.now() + 60_000, 60_000).catch(() => undefined);
      await waitFor('the warning', () => warnings.length > 0, 10_000);
      await sleep(50);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/maxmemory-policy is 'allkeys-lru'.*noeviction/);
      const quiet: string[] = [];
      const sane = await connectRedis(); // the shared server: noeviction
      const fine = new RedisCoordinator(sane, {
        keyPrefix: `${unique('it')}:`,
        logger: { warn: (m) => quiet.push(m) },
      });
      await fine.claimSlot('c', Date.now() + 60_000, 1_000).catch(() => undefined);
      await sleep(100);
      expect(quiet).toEqual([]);
      sane.disconnect();
    } finally {
      client.disconnect();
      await server.stop();
    }
  });

  it('keeps the process alive when PostgreSQL ends the idle connections of a pool that has no error listener', async () => {
    const schema = unique('routines_it');
    const pool = postgresPool(1);
    const launch = (withoutCoordinator: boolean) => {
      const applicationName = unique('pool_test');
      const child = track(
        spawn(
          process.execPath,
          [
            '-r',
            path.join(__dirname, 'fixtures/register.js'),
            path.join(__dirname, 'fixtures/pool-without-listener.ts'),
          ],
          {
            env: {
              ...process.env,
              DATABASE_URL,
              SCHEMA: schema,
              APPLICATION_NAME: applicationName,
              ...(withoutCoordinator ? { WITHOUT_COORDINATOR: '1' } : {}),
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        ),
      );
      let output = '';
      child.stdout!.on('data', (chunk) => (output += chunk));
      child.stderr!.on('data', (chunk) => (output += chunk));
      return { child, applicationName, output: () => output };
    };
    const terminate = (applicationName: string) =>
      pool.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
    try {
      // The control: the same app without the coordinator dies of the unhandled 'error'.
      const control = launch(true);
      await waitFor('the control to be ready', () => control.output().includes('ready'), 10_000);
      await terminate(control.applicationName);
      await waitFor('the control to exit', () => control.child.exitCode !== null, 5_000);
      expect(control.child.exitCode).not.toBe(0);
      expect(control.output()).toMatch(/terminat/i);

      const app = launch(false);
      await waitFor('the app to be ready', () => app.output().includes('ready'), 10_000);
      await terminate(app.applicationName);
      await sleep(1_000);
      expect(app.child.exitCode).toBeNull();
      expect(app.output()).toMatch(/PostgresCoordinator: an idle pool connection failed/);
      await stopGracefully(app.child);
      process.stdout.write(
        `[pool without listener] pg_terminate_backend on the pool's idle connection: the app without a coordinator exited with code ${control.child.exitCode}; with the coordinator it stayed up and logged one warning\n`,
      );
    } finally {
      await dropSchema(pool, schema);
      await pool.end();
    }
  }, 30_000);
});
