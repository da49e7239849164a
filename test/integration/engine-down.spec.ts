import {
  DATABASE_URL,
  dropSchema,
  freePort,
  killAll,
  postgresPool,
  Replica,
  sleep,
  stopGracefully,
  TcpProxy,
  ThrowawayRedis,
  unique,
  waitFor,
  type Engine,
} from './support';

/**
 * The engine goes away under a replica running a cluster periodic routine (every 250 ms)
 * and a cluster background routine (lease ttl 1 s, renewed every 250 ms), then comes back
 * on the same port. While it is down, ticks are skipped with reason 'claim-error', the
 * holder's signal aborts, and the process stays up; once it is back, runs resume and the
 * lease is taken again.
 *
 * Redis: a throwaway redis-server (no persistence) killed and restarted. PostgreSQL: the
 * shared server stays up; the replica reaches it through a TCP proxy that is closed (open
 * connections cut, new ones refused) and reopened.
 */
const INTERVAL = 250;
const RENEW = 250;
const OUTAGE = 1500;

interface Outage {
  engine: Engine;
  replicaUrl: { redisUrl?: string; databaseUrl?: string };
  up(): Promise<void>;
  down(): Promise<void>;
}

async function throwawayRedis(): Promise<Outage> {
  const server = new ThrowawayRedis(await freePort());
  return {
    engine: 'redis',
    replicaUrl: { redisUrl: server.url },
    up: () => server.start(),
    down: () => server.stop(),
  };
}

async function proxiedPostgres(): Promise<Outage> {
  const target = new URL(DATABASE_URL);
  const proxy = new TcpProxy(await freePort(), {
    host: target.hostname,
    port: Number(target.port || 5432),
  });
  const url = new URL(DATABASE_URL);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return {
    engine: 'postgres',
    replicaUrl: { databaseUrl: url.toString() },
    up: () => proxy.start(),
    down: () => proxy.stop(),
  };
}

describe('the coordination engine going down and coming back', () => {
  const outages: Outage[] = [];
  const schema = unique('routines_it');

  afterAll(async () => {
    await killAll(); // replicas and throwaway redis-servers
    await Promise.all(outages.map((outage) => outage.down().catch(() => undefined)));
    const pool = postgresPool(1);
    await dropSchema(pool, schema);
    await pool.end();
  });

  it.each([
    ['redis', throwawayRedis],
    ['postgres', proxiedPostgres],
  ] as const)(
    'fails closed and recovers on %s',
    async (_name, makeOutage) => {
      const outage = await makeOutage();
      outages.push(outage);
      const { engine } = outage;
      await outage.up();
      const replica = new Replica(`${engine} replica`, {
        engine,
        mode: 'periodic,lease',
        routine: unique(`down_${engine}`),
        keyPrefix: `${unique('it')}:`,
        schema,
        intervalMs: INTERVAL,
        missed: 'skip',
        leaseTtl: '1s',
        renewEvery: `${RENEW}ms`,
        retryEvery: '250ms',
        ...outage.replicaUrl,
      });
      try {
        await replica.ready();
        await waitFor(
          'three runs and a lease',
          () => {
            return replica.of('run').length >= 3 && replica.of('lease').length > 0;
          },
          5000,
        );
        const firstLease = replica.of('lease')[0];

        const downAt = Date.now();
        await outage.down();
        const aborted = await waitFor(
          'the holder to abort',
          () => replica.of('aborted').find((event) => event.at >= downAt),
          RENEW + 1500,
        );
        const abortLatency = aborted.at - downAt;
        expect(aborted.message).toMatch(/lost its cluster lease/);
        expect(abortLatency).toBeLessThanOrEqual(RENEW + 250);
        await sleep(downAt + OUTAGE - Date.now());
        expect(replica.alive).toBe(true);
        const claimErrors = replica
          .of('skip')
          .filter((event) => event.reason === 'claim-error' && event.at >= downAt);
        expect(claimErrors.length).toBeGreaterThanOrEqual(OUTAGE / INTERVAL - 2);
        const runsWhileDown = replica.of('run').filter((event) => event.at > downAt + 50);
        expect(runsWhileDown).toEqual([]);

        const upAt = Date.now();
        await outage.up();
        const resumed = await waitFor(
          'runs to resume',
          () => replica.of('run').find((event) => event.at > upAt),
          5000,
        );
        const leased = await waitFor(
          'the lease to be taken again',
          () => replica.of('lease').find((event) => event.at > upAt),
          5000,
        );
        expect(replica.alive).toBe(true);
        // Also for a Redis restarted empty: the epoch is seeded again from its clock.
        expect(leased.epoch).toBeGreaterThan(firstLease.epoch!);
        const slots = replica.of('run').map((event) => event.slot);
        expect(new Set(slots).size).toBe(slots.length);
        await stopGracefully(replica.process);
        expect(replica.process.exitCode).toBe(0);

        process.stdout.write(
          `[engine-down ${engine}] outage ${upAt - downAt} ms: ${claimErrors.length} ticks skipped with 'claim-error', ` +
            `lease lost ${abortLatency} ms after the engine went down, process stayed up; ` +
            `runs resumed ${resumed.at - upAt} ms and the lease was taken again ${leased.at - upAt} ms after it came back ` +
            `(epoch ${firstLease.epoch} -> ${leased.epoch})\n`,
        );
      } catch (error) {
        process.stderr.write(`--- ${replica.label}\n${replica.log()}`);
        throw error;
      } finally {
        await killAll();
        await outage.down().catch(() => undefined);
      }
    },
    30_000,
  );
});
