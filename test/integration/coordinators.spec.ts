import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { Pool } from 'pg';
import { PostgresCoordinator, RedisCoordinator } from '../../lib/coordination';
import { InMemoryCoordinator, RoutinesConfigurationError } from '../../lib/core';
import { describeCoordinatorContract } from './coordinator.contract';
import {
  connectRedis,
  deleteRedisKeys,
  dropSchema,
  freePort,
  postgresPool,
  sleep,
  unique,
} from './support';

describeCoordinatorContract('InMemoryCoordinator', async () => {
  const shared = new InMemoryCoordinator();
  return { coordinator: () => shared };
});

describeCoordinatorContract('RedisCoordinator', async () => {
  const client = await connectRedis();
  const keyPrefix = `${unique('it')}:`;
  return {
    coordinator: () => new RedisCoordinator(client, { keyPrefix }),
    close: async () => {
      await deleteRedisKeys(client, keyPrefix);
      client.disconnect();
    },
  };
});

describeCoordinatorContract('PostgresCoordinator', async () => {
  const pool = postgresPool(12);
  const schema = unique('routines_it');
  return {
    coordinator: () => new PostgresCoordinator(pool, { schema }),
    close: async () => {
      await dropSchema(pool, schema);
      await pool.end();
    },
  };
});

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

  it('claims a slot with SET NX PX under <prefix>slot:<routine>:<slot>', async () => {
    const coordinator = new RedisCoordinator(client, { keyPrefix });
    expect(coordinator.kind).toBe('redis');
    expect(await coordinator.claimSlot('janitor', 1_700_000_000_000, 30_000)).toBe(true);
    const ttl = await client.pttl(`${keyPrefix}slot:janitor:1700000000000`);
    expect(ttl).toBeGreaterThan(29_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });

  it('keeps the lease under <prefix>lease:<routine> and the epoch under <prefix>epoch:<routine>', async () => {
    const coordinator = new RedisCoordinator(client, { keyPrefix });
    const lease = (await coordinator.acquireLease('consumer', 10_000))!;
    expect(await client.get(`${keyPrefix}lease:consumer`)).toBe(lease.token);
    expect(Number(await client.get(`${keyPrefix}epoch:consumer`))).toBe(lease.epoch);
    await coordinator.releaseLease(lease);
    expect(await client.exists(`${keyPrefix}lease:consumer`)).toBe(0);
    expect((await coordinator.acquireLease('consumer', 10_000))!.epoch).toBe(lease.epoch + 1);
  });

  it('seeds a missing epoch from the server clock, so it still grows after Redis loses its data', async () => {
    const coordinator = new RedisCoordinator(client, { keyPrefix });
    const before = Date.now();
    const first = (await coordinator.acquireLease('forgetful', 10_000))!;
    expect(first.epoch).toBeGreaterThanOrEqual(before - 5_000);
    await coordinator.releaseLease(first);
    await coordinator
      .acquireLease('forgetful', 10_000)
      .then((lease) => coordinator.releaseLease(lease!));
    await client.del(`${keyPrefix}epoch:forgetful`, `${keyPrefix}lease:forgetful`); // as after a restart without persistence
    await new Promise((resolve) => setTimeout(resolve, 5));
    const after = (await coordinator.acquireLease('forgetful', 10_000))!;
    expect(after.epoch).toBeGreaterThan(first.epoch + 1);
  });

  it('still works after the server forgets its scripts (NOSCRIPT)', async () => {
    const coordinator = new RedisCoordinator(client, { keyPrefix });
    const lease = (await coordinator.acquireLease('flushed', 10_000))!;
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
      const won = await Promise.all(coordinators.map((c) => c.claimSlot('boot', 1, 60_000)));
      expect(won.filter(Boolean)).toHaveLength(1);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('starts the epoch at 1 and keeps the row on release, so the epoch keeps growing', async () => {
    const coordinator = new PostgresCoordinator(pool, { schema });
    expect(coordinator.kind).toBe('postgres');
    const routine = unique('epoch');
    const epochs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const lease = (await coordinator.acquireLease(routine, 10_000))!;
      epochs.push(lease.epoch);
      await coordinator.releaseLease(lease);
    }
    expect(epochs).toEqual([1, 2, 3]);
    const { rows } = await pool.query(
      `SELECT epoch, expires_at <= now() AS expired FROM "${schema}".routines_leases WHERE routine = $1`,
      [routine],
    );
    expect(rows).toEqual([{ epoch: '3', expired: true }]);
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

  it('creates its tables again if they are dropped while running', async () => {
    const own = `${schema}_dropped`;
    const coordinator = new PostgresCoordinator(pool, { schema: own });
    try {
      expect(await coordinator.claimSlot('x', 1, 60_000)).toBe(true);
      await dropSchema(pool, own);
      expect(await coordinator.claimSlot('x', 1, 60_000)).toBe(true);
      expect(await coordinator.acquireLease('x', 60_000)).toMatchObject({ epoch: 1 });
    } finally {
      await dropSchema(pool, own);
    }
  });

  it('uses the table names given and refuses unsafe identifiers', async () => {
    const coordinator = new PostgresCoordinator(pool, {
      schema,
      slotTable: 'my_slots',
      leaseTable: 'my_leases',
    });
    expect(await coordinator.claimSlot('named', 1, 60_000)).toBe(true);
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

describe('coordination entry point', () => {
  it('loads neither ioredis nor pg until a coordinator is constructed with a client', () => {
    const root = path.resolve(__dirname, '../..');
    const output = execFileSync(
      process.execPath,
      [
        '-r',
        path.join(__dirname, 'fixtures/register.js'),
        '-e',
        `require('./lib/coordination');
         const loaded = Object.keys(require.cache).filter((f) => /node_modules[\\\\/](ioredis|pg)[\\\\/]/.test(f));
         process.stdout.write(JSON.stringify(loaded));`,
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(JSON.parse(output)).toEqual([]);
  });
});
