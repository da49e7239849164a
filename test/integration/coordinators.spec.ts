/**
 * What the Redis and PostgreSQL coordinators do beyond the ports' contracts (ports/, run
 * against every engine): their keys and tables, epochs from the server clock, failing closed
 * after a loss, table creation, options, an unreachable server.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { PostgresCoordinator } from '../../lib/postgres';
import { CoordinatorStateLostError, RedisCoordinator } from '../../lib/redis';
import { PeriodicRoutine, RoutinesConfigurationError, type Lease } from '../../lib/core';
import {
  connectRedis,
  deleteRedisKeys,
  dropSchema,
  freePort,
  postgresPool,
  primePostgres,
  primeRedisRoutine,
  sleep,
  unique,
  waitFor,
} from './support';

describe('RedisCoordinator on a real server', () => {
  let client: Redis;
  const keyPrefix = `${unique('it')}:`;

  beforeAll(async () => {
    client = await connectRedis();
  });

  afterAll(async () => {
    await deleteRedisKeys(client, keyPrefix);
    client.disconnect();
  });

  it('claims a slot with SET NX PX under <prefix>{<routine>}:slot:<slot>, and hands it back', async () => {
    const coordinator = new RedisCoordinator(client, { keyPrefix });
    await primeRedisRoutine(client, keyPrefix, 'janitor');
    expect(coordinator.kind).toBe('redis');
    expect(await coordinator.claimSlot('janitor', 1_700_000_000_000, 30_000)).toBe(true);
    const ttl = await client.pttl(`${keyPrefix}{janitor}:slot:1700000000000`);
    expect(ttl).toBeGreaterThan(29_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    await coordinator.releaseSlot('janitor', 1_700_000_000_000);
    expect(await coordinator.claimSlot('janitor', 1_700_000_000_000, 30_000)).toBe(true);
  });

  it("keeps a routine's lease and epoch under one hash tag, and issues epochs of at least the server time in ms", async () => {
    const coordinator = new RedisCoordinator(client, { keyPrefix });
    await primeRedisRoutine(client, keyPrefix, 'consumer');
    const before = Date.now();
    const lease = (await coordinator.acquireLease('consumer', 10_000)) as Lease;
    expect(await client.get(`${keyPrefix}{consumer}:lease`)).toBe(lease.token);
    expect(Number(await client.get(`${keyPrefix}{consumer}:epoch`))).toBe(lease.epoch);
    expect(lease.epoch).toBeGreaterThanOrEqual((before - 5_000) * 1000);
    await coordinator.releaseLease(lease);
    expect(await client.exists(`${keyPrefix}{consumer}:lease`)).toBe(0);
    const next = (await coordinator.acquireLease('consumer', 10_000)) as Lease;
    expect(next.epoch).toBeGreaterThan(lease.epoch);
  });

  it('issues an epoch above every earlier one when Redis comes back with an older epoch', async () => {
    const coordinator = new RedisCoordinator(client, { keyPrefix });
    await primeRedisRoutine(client, keyPrefix, 'forgetful');
    const first = (await coordinator.acquireLease('forgetful', 10_000)) as Lease;
    await coordinator.releaseLease(first);
    const second = (await coordinator.acquireLease('forgetful', 10_000)) as Lease;
    await coordinator.releaseLease(second);
    // As after a restart from an older snapshot: the key exists, holding an epoch issued before.
    await client.set(`${keyPrefix}{forgetful}:epoch`, String(first.epoch));
    const after = (await coordinator.acquireLease('forgetful', 10_000)) as Lease;
    expect(after.epoch).toBeGreaterThan(second.epoch);
  });

  it('fails closed when the marker is gone: refuses slots due before the loss and holds back the lease for a ttl', async () => {
    const coordinator = new RedisCoordinator(client, { keyPrefix, maxClockSkew: '200ms' });
    const routine = unique('flushed');
    await primeRedisRoutine(client, keyPrefix, routine);
    const now = Date.now();
    const slot = now - 100;
    expect(await coordinator.claimSlot(routine, slot, 30_000)).toBe(true);
    await deleteRedisKeys(client, `${keyPrefix}{${routine}}`); // FLUSHALL, for this routine
    await expect(coordinator.claimSlot(routine, slot, 30_000)).rejects.toBeInstanceOf(
      CoordinatorStateLostError,
    );
    await expect(coordinator.claimSlot(routine, now + 100, 30_000)).rejects.toThrow(
      /may have run before/,
    );
    expect(await coordinator.claimSlot(routine, now + 5_000, 30_000)).toBe(true);
    await expect(coordinator.acquireLease(routine, 1_000)).rejects.toThrow(
      /no replica takes the lease before/,
    );
    await sleep(1_050);
    expect(await coordinator.acquireLease(routine, 1_000)).toMatchObject({ routine });
  });

  it('still works after the server forgets its scripts (NOSCRIPT)', async () => {
    const coordinator = new RedisCoordinator(client, { keyPrefix });
    await primeRedisRoutine(client, keyPrefix, 'flushed');
    const lease = (await coordinator.acquireLease('flushed', 10_000)) as Lease;
    await client.script('FLUSH');
    expect(await coordinator.renewLease(lease, 10_000)).toBe(true);
    await coordinator.releaseLease(lease);
    expect(await coordinator.acquireLease('flushed', 10_000)).not.toBeNull();
  });

  it('rejects when the server cannot be reached', async () => {
    const port = await freePort();
    const offline = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    offline.on('error', () => undefined);
    await offline.connect().catch(() => undefined); // refused
    const coordinator = new RedisCoordinator(offline, { keyPrefix });
    await expect(coordinator.claimSlot('down', 1, 1000)).rejects.toThrow();
    await expect(coordinator.acquireLease('down', 1000)).rejects.toThrow();
    await expect(
      coordinator.renewLease({ routine: 'down', token: 't', epoch: 1 }, 1000),
    ).rejects.toThrow();
    await expect(
      coordinator.releaseLease({ routine: 'down', token: 't', epoch: 1 }),
    ).rejects.toThrow();
    expect(offline.status).toBe('end'); // no disconnect(): on a closed stream it leaves a 2 s timer
  });
});

describe('PostgresCoordinator on a real server', () => {
  let pool: Pool;
  const schema = unique('routines_it');

  beforeAll(() => {
    pool = postgresPool(12);
  });

  afterAll(async () => {
    await dropSchema(pool, schema);
    await dropSchema(pool, `${schema}_race`);
    await pool.end();
  });

  it('creates its tables once, even when many processes start at once', async () => {
    const raceSchema = `${schema}_race`;
    const pools = Array.from({ length: 6 }, () => postgresPool(1));
    try {
      const coordinators = pools.map((p) => new PostgresCoordinator(p, { schema: raceSchema }));
      await Promise.all(coordinators.map((c) => c.ensureTables()));
      const slot = Date.now() + 10_000; // after the tables were created: no loss to fail closed on
      const won = await Promise.all(coordinators.map((c) => c.claimSlot('boot', slot, 60_000)));
      expect(won.filter(Boolean)).toHaveLength(1);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('issues epochs of at least the server time in µs and keeps the row on release, so the epoch keeps growing', async () => {
    const coordinator = new PostgresCoordinator(pool, { schema });
    await primePostgres(pool, coordinator, schema);
    expect(coordinator.kind).toBe('postgres');
    const routine = unique('epoch');
    const before = Date.now();
    const epochs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const lease = (await coordinator.acquireLease(routine, 10_000)) as Lease;
      epochs.push(lease.epoch);
      await coordinator.releaseLease(lease);
    }
    expect(epochs[0]).toBeGreaterThanOrEqual((before - 5_000) * 1000);
    expect(epochs[1]).toBeGreaterThan(epochs[0]);
    expect(epochs[2]).toBeGreaterThan(epochs[1]);
    const { rows } = await pool.query(
      `SELECT epoch, expires_at <= now() AS expired FROM "${schema}".routines_leases WHERE routine = $1`,
      [routine],
    );
    expect(rows).toEqual([{ epoch: String(epochs[2]), expired: true }]);
  });

  it('keeps a released lease released when a renewal that began earlier commits after the release', async () => {
    const coordinator = new PostgresCoordinator(pool, { schema });
    await primePostgres(pool, coordinator, schema);
    const routine = unique('race');
    const lease = (await coordinator.acquireLease(routine, 60_000)) as Lease;
    // The renewal's statement starts (its now() is fixed) before the release, but reaches the
    // row after the release has committed, as under load: run it in a transaction begun first.
    const renewer = await pool.connect();
    try {
      await renewer.query('BEGIN');
      await renewer.query('SELECT now()');
      await sleep(20);
      await coordinator.releaseLease(lease);
      const renewed = await renewer.query(
        `UPDATE "${schema}".routines_leases SET expires_at = now() + interval '60 seconds' WHERE routine = $1 AND token = $2 AND expires_at > now()`,
        [routine, lease.token],
      );
      await renewer.query('COMMIT');
      expect(renewed.rowCount).toBe(0);
    } finally {
      renewer.release();
    }
    expect(await coordinator.renewLease(lease, 60_000)).toBe(false);
    const started = Date.now();
    expect(await coordinator.acquireLease(routine, 60_000)).toMatchObject({ routine });
    // Handed over at once, not after the 60 s ttl: 10 s is a busy machine's margin for one query.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('adds the token column to a slot table made before slot tokens, on first use', async () => {
    const own = `${schema}_old_slots`;
    try {
      await primePostgres(pool, new PostgresCoordinator(pool, { schema: own }), own);
      await pool.query(`ALTER TABLE "${own}".routines_slots DROP COLUMN token`);
      const coordinator = new PostgresCoordinator(pool, { schema: own });
      const slot = Date.now() + 60_000;
      expect(await coordinator.claimSlot('upgraded', slot, 60_000, 'mine')).toBe(true);
      await coordinator.releaseSlot('upgraded', slot, 'not-mine');
      expect(await coordinator.claimSlot('upgraded', slot, 60_000)).toBe(false);
      await coordinator.releaseSlot('upgraded', slot, 'mine');
      expect(await coordinator.claimSlot('upgraded', slot, 60_000)).toBe(true);
    } finally {
      await dropSchema(pool, own);
    }
  });

  it('prunes expired slot rows now and then', async () => {
    const coordinator = new PostgresCoordinator(pool, { schema, pruneAfter: 0 });
    const routine = unique('prune');
    for (let i = 0; i < 255; i++) await coordinator.claimSlot(routine, i, 1);
    await sleep(20);
    const count = async () =>
      Number(
        (
          await pool.query(
            `SELECT count(*) AS n FROM "${schema}".routines_slots WHERE routine = $1`,
            [routine],
          )
        ).rows[0].n,
      );
    expect(await count()).toBe(255);
    await coordinator.claimSlot(routine, 255, 60_000); // the 256th claim prunes, off its path
    for (let i = 0; i < 50 && (await count()) > 1; i++) await sleep(20);
    expect(await count()).toBe(1);
  });

  it('creates its tables again if they are dropped while running, and fails closed: no slot twice, epochs still grow', async () => {
    const own = `${schema}_dropped`;
    const coordinator = new PostgresCoordinator(pool, { schema: own, maxClockSkew: '200ms' });
    try {
      await primePostgres(pool, coordinator, own);
      const slot = Date.now() - 100;
      expect(await coordinator.claimSlot('x', slot, 60_000)).toBe(true);
      const before = (await coordinator.acquireLease('x', 1_000)) as Lease;
      await dropSchema(pool, own);
      await expect(coordinator.claimSlot('x', slot, 60_000)).rejects.toBeInstanceOf(
        CoordinatorStateLostError,
      );
      expect(await coordinator.claimSlot('x', Date.now() + 5_000, 60_000)).toBe(true);
      await expect(coordinator.acquireLease('x', 1_000)).rejects.toThrow(
        /no replica takes the lease before/,
      );
      await sleep(1_050);
      const after = (await coordinator.acquireLease('x', 1_000)) as Lease;
      expect(after.epoch).toBeGreaterThan(before.epoch);
    } finally {
      await dropSchema(pool, own);
    }
  });

  it('treats an emptied since table (a TRUNCATE) as a loss found now: fails closed with the reason, then runs on', async () => {
    const own = `${schema}_truncated`;
    const coordinator = new PostgresCoordinator(pool, { schema: own, maxClockSkew: '200ms' });
    try {
      await primePostgres(pool, coordinator, own);
      const lease = (await coordinator.acquireLease('bg', 60_000)) as Lease;
      await coordinator.releaseLease(lease);
      await pool.query(`TRUNCATE "${own}".routines_leases_since`);
      // A slot due now may have been claimed before: refused as after a loss, not "lost".
      await expect(coordinator.claimSlot('x', Date.now(), 60_000)).rejects.toBeInstanceOf(
        CoordinatorStateLostError,
      );
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM "${own}".routines_leases_since`,
      );
      expect(rows).toEqual([{ n: 1 }]);
      expect(await coordinator.claimSlot('x', Date.now() + 5_000, 60_000)).toBe(true);
      // Emptied again, this time found by a lease: held back for a ttl, then taken.
      await pool.query(`TRUNCATE "${own}".routines_leases_since`);
      await expect(coordinator.acquireLease('bg', 500)).rejects.toThrow(
        /no replica takes the lease before/,
      );
      await sleep(600);
      const after = (await coordinator.acquireLease('bg', 500)) as Lease;
      expect(after.epoch).toBeGreaterThan(lease.epoch);
    } finally {
      await dropSchema(pool, own);
    }
  });

  it('a cluster routine goes on after the since table is emptied: the refused slots are counted, the loss logged once', async () => {
    const own = `${schema}_truncated_routine`;
    const coordinator = new PostgresCoordinator(pool, { schema: own, maxClockSkew: '300ms' });
    const warnings: string[] = [];
    const errors: string[] = [];
    const logger = {
      log: () => undefined,
      warn: (message: string) => void warnings.push(message),
      error: (message: string) => void errors.push(message),
    };
    const ran: number[] = [];
    const routine = new PeriodicRoutine(() => void ran.push(Date.now()), {
      name: 'truncated',
      interval: 100,
      scope: 'cluster',
      coordinator,
      logger,
    });
    try {
      await primePostgres(pool, coordinator, own);
      routine.start();
      await waitFor('a first run', () => ran.length >= 2, 10_000);
      await pool.query(`TRUNCATE "${own}".routines_leases_since`);
      const truncatedAt = Date.now();
      // Generous: runs resume once the slots due before the loss (+ skew) have passed.
      await waitFor(
        'runs after the truncate',
        () => ran.filter((at) => at > truncatedAt + 500).length >= 3,
        15_000,
      );
      const { counters } = routine.info();
      expect(counters.skipped).toBeGreaterThanOrEqual(1);
      const lossLogs = [...warnings, ...errors].filter((m) => /lost its state/.test(m));
      expect(lossLogs).toHaveLength(1);
    } finally {
      await routine.stop();
      await dropSchema(pool, own);
    }
  }, 30_000);

  it('uses the table names given and refuses unsafe identifiers', async () => {
    const coordinator = new PostgresCoordinator(pool, {
      schema,
      slotTable: 'my_slots',
      leaseTable: 'my_leases',
    });
    expect(await coordinator.claimSlot('named', Date.now() + 10_000, 60_000)).toBe(true);
    const { rows } = await pool.query(
      `SELECT to_regclass($1)::text AS slots, to_regclass($2)::text AS leases`,
      [`"${schema}".my_slots`, `"${schema}".my_leases`],
    );
    expect(rows[0].slots).not.toBeNull();
    expect(rows[0].leases).not.toBeNull();
    expect(() => new PostgresCoordinator(pool, { schema: 'x"; DROP TABLE y; --' })).toThrow(
      RoutinesConfigurationError,
    );
    expect(() => new PostgresCoordinator(pool, { slotTable: 'a b' })).toThrow(/slotTable/);
    expect(() => new PostgresCoordinator(pool, { pruneAfter: 'soon' })).toThrow(/pruneAfter/);
  });

  it('creates the migration tables again when they were dropped', async () => {
    const own = `${schema}_migrations`;
    try {
      const store = new PostgresCoordinator(pool, { schema: own }).migrations;
      await store.register('before-drop', 'creates the tables', false);
      await pool.query(
        `DROP TABLE "${own}".routines_migrations, "${own}".routines_migrations_errors`,
      );
      await store.register('after-drop', 'again', false);
      expect((await store.list()).map((m) => m.id)).toEqual(['after-drop']);
    } finally {
      await dropSchema(pool, own);
    }
  }, 30_000);

  it('rejects when the database cannot be reached', async () => {
    const port = await freePort();
    const offline = new Pool({
      connectionString: `postgres://postgres@127.0.0.1:${port}/test`,
      connectionTimeoutMillis: 1000,
    });
    const coordinator = new PostgresCoordinator(offline, { schema });
    await expect(coordinator.claimSlot('down', 1, 1000)).rejects.toThrow();
    await expect(coordinator.acquireLease('down', 1000)).rejects.toThrow();
    await offline.end();
  });
});

describe('the redis and postgres entry points', () => {
  it('load neither ioredis nor pg until a coordinator is constructed with a client', () => {
    const root = path.resolve(__dirname, '../..');
    const output = execFileSync(
      process.execPath,
      [
        '-r',
        path.join(__dirname, 'fixtures/register.js'),
        '-e',
        `require('./lib/redis');
         require('./lib/postgres');
         const loaded = Object.keys(require.cache).filter((f) => /node_modules[\\\\/](ioredis|pg)[\\\\/]/.test(f));
         process.stdout.write(JSON.stringify(loaded));`,
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(JSON.parse(output)).toEqual([]);
  });
});
