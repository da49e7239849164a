import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { RedisCoordinator } from '../../lib/redis';
import {
  PeriodicRoutine,
  stopRoutines,
  SupervisedRoutine,
  type RoutineEvent,
  type RoutineLogger,
} from '../../lib/core';
import {
  freePort,
  killAll,
  postgresPool,
  Replica,
  sleep,
  stopGracefully,
  unique,
  useSharedEngines,
  waitFor,
} from './support';

/**
 * Engines that hang instead of failing: tables locked by a migration, a Redis that accepts
 * connections and never answers. Every call has a deadline: slots are skipped as claim-error
 * (said once), no slot runs late, and shutdown is not held up.
 */
const INTERVAL = 500;

describe('an engine that hangs', () => {
  const shared = useSharedEngines();
  const { keyPrefix, schema } = shared;

  it('skips slots as claim-error while PostgreSQL tables are locked, logs it once, and runs nothing late', async () => {
    const routine = unique('locked');
    await shared.prime('postgres', routine);
    const replica = new Replica('postgres replica', {
      engine: 'postgres',
      mode: 'periodic,lease',
      routine,
      keyPrefix,
      schema,
      intervalMs: INTERVAL,
      missed: 'skip',
      leaseTtl: '1s',
      renewEvery: '250ms',
      retryEvery: '250ms',
    });
    const locker = postgresPool(1);
    try {
      await replica.ready();
      await waitFor('runs and a lease', () => replica.of('run').length >= 2, 5_000);
      const client = await locker.connect();
      await client.query('BEGIN');
      await client.query(
        `LOCK TABLE "${schema}".routines_slots, "${schema}".routines_leases IN ACCESS EXCLUSIVE MODE`,
      );
      const lockedAt = Date.now();
      await sleep(3_000);
      await client.query('COMMIT');
      const unlockedAt = Date.now();
      client.release();
      await sleep(2_000);
      await stopGracefully(replica.process);

      const skips = replica
        .of('skip')
        .filter((skip) => skip.at > lockedAt && skip.at < unlockedAt + INTERVAL);
      expect(skips.length).toBeGreaterThanOrEqual(4);
      expect(skips.every((skip) => skip.reason === 'claim-error')).toBe(true);
      const gaveUpAfter = skips.map((skip) => skip.at - skip.slot!);
      // The claim window (half the interval) plus the time from the library's check to the
      // replica's event line: 150 and 50 ms held on a quiet machine, 400 and 250 ms leave room
      // for a busy one; without the deadline, runs would start seconds late (the lock's 3 s).
      expect(Math.max(...gaveUpAfter)).toBeLessThan(INTERVAL / 2 + 400);
      // On time or not at all: every run started within the claim window of its slot.
      const lateness = replica.of('run').map((run) => run.at - run.slot!);
      expect(Math.max(...lateness)).toBeLessThan(INTERVAL / 2 + 250);
      const slots = replica.of('run').map((run) => run.slot);
      expect(new Set(slots).size).toBe(slots.length);
      const warnings = replica
        .log()
        .split('\n')
        .filter((line) => line.includes('coordinator failed'));
      expect(warnings.length).toBeGreaterThanOrEqual(1);
      expect(warnings.length).toBeLessThanOrEqual(2); // one per outage (claims, then the lease)
      process.stdout.write(
        `[stuck engine postgres] tables locked ${unlockedAt - lockedAt} ms: ${skips.length} slots skipped as claim-error, ` +
          `each given up ${Math.min(...gaveUpAfter)}-${Math.max(...gaveUpAfter)} ms after its due time; ` +
          `${warnings.length} warning line(s); latest run start ${Math.max(...lateness)} ms after its slot\n`,
      );
    } catch (error) {
      process.stderr.write(replica.log());
      throw error;
    } finally {
      await locker.end();
      await killAll();
    }
  }, 30_000);

  it('gives up on a Redis that accepts connections and never answers, and stops at once', async () => {
    const blackHole = await silentServer();
    const client = new Redis(blackHole.port, '127.0.0.1', {
      enableReadyCheck: false,
      maxRetriesPerRequest: null,
      lazyConnect: false,
    });
    client.on('error', () => undefined);
    const coordinator = new RedisCoordinator(client, { keyPrefix: 'hole:', logger: { warn() {} } });
    const warnings: string[] = [];
    const logger: RoutineLogger = {
      log: () => undefined,
      warn: (message) => warnings.push(message),
      error: () => undefined,
    };
    const events: RoutineEvent[] = [];
    const periodic = new PeriodicRoutine(() => undefined, {
      name: 'hole-periodic',
      interval: 200,
      scope: 'cluster',
      coordinator,
      logger,
      onEvent: (event) => events.push(event),
    });
    const background = new SupervisedRoutine(() => new Promise(() => undefined), {
      name: 'hole-background',
      scope: 'cluster',
      coordinator,
      logger,
      lease: { ttl: '1s', retryEvery: '200ms' },
    });
    try {
      periodic.start();
      background.start();
      await sleep(1_500);
      const skips = events.filter((event) => event.type === 'run-skipped');
      expect(skips.length).toBeGreaterThanOrEqual(5);
      expect(skips.every((event) => event.outcome?.reason === 'claim-error')).toBe(true);
      expect(events.filter((event) => event.type === 'run-started')).toEqual([]);
      expect(background.state).toBe('standby');
      expect(warnings).toHaveLength(1); // one outage, one line
      expect(warnings[0]).toMatch(/did not answer within/);
      const stopping = Date.now();
      const report = await stopRoutines([periodic, background], { timeout: '2s' });
      const stopMs = Date.now() - stopping;
      expect(report.timedOut).toEqual([]);
      // Not held up by the server that never answers (the 2 s timeout would be): 500 ms held
      // on a quiet machine, 1.5 s on a busy one.
      expect(stopMs).toBeLessThan(1_500);
      process.stdout.write(
        `[stuck engine redis] a server that never answers: ${skips.length} slots skipped as claim-error in 1.5 s ` +
          `(each after 100 ms, half the interval), ${warnings.length} warning; stop() took ${stopMs} ms\n`,
      );
    } finally {
      client.disconnect();
      await blackHole.close();
    }
  }, 30_000);
});

/** A TCP server that accepts connections and never writes a byte. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
