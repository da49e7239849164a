import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CoordinatorStateLostError, RedisCoordinator } from '../../lib/redis';
import type { Lease } from '../../lib/core';
import {
  connectRedis,
  freePort,
  killAll,
  merged,
  primeRedisRoutine,
  Replica,
  sleep,
  stopGracefully,
  ThrowawayRedis,
  unique,
  waitFor,
} from './support';

/**
 * Redis losing writes: a restart from an older snapshot, FLUSHALL, a restart without
 * persistence. Each on a private redis-server, so the shared one is never touched.
 */
describe('Redis losing its data', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await killAll();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('issues epochs above every earlier one, and fails closed, after a restart from an older snapshot', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'routines-rdb-'));
    dirs.push(dir);
    const server = new ThrowawayRedis(await freePort(), ['--dir', dir, '--save', '']);
    await server.start();
    // One client for the whole test: it reconnects by itself, as an app's client would.
    const client = await connectRedis(server.url);
    const coordinator = new RedisCoordinator(client, { keyPrefix: 'rdb:' });
    await primeRedisRoutine(client, 'rdb:', 'consumer');
    const epochs: number[] = [];
    const takeAndRelease = async () => {
      const lease = (await coordinator.acquireLease('consumer', 1_000)) as Lease;
      epochs.push(lease.epoch);
      await coordinator.releaseLease(lease);
    };
    try {
      await takeAndRelease();
      await takeAndRelease();
      await client.save(); // the snapshot: two epochs issued
      await takeAndRelease();
      await takeAndRelease();
      const slot = Date.now() + 200;
      expect(await coordinator.claimSlot('consumer', slot, 60_000)).toBe(true);

      await server.stop(); // kill -9: every write since the snapshot is gone
      await server.start(); // loads the snapshot
      await waitFor('the client to reconnect', () => client.status === 'ready', 5_000);
      expect(Number(await client.get('rdb:{consumer}:epoch'))).toBe(epochs[1]);

      // The claim of the slot that was lost: refused, not won a second time.
      await expect(coordinator.claimSlot('consumer', slot, 60_000)).rejects.toBeInstanceOf(
        CoordinatorStateLostError,
      );
      // No new holder for one ttl: a holder from before the loss may still be at work.
      const heldBackAt = Date.now();
      await expect(coordinator.acquireLease('consumer', 1_000)).rejects.toThrow(
        /no replica takes the lease before/,
      );
      let lease: Lease | undefined;
      while (!lease && Date.now() - heldBackAt < 3_000) {
        lease = (await coordinator.acquireLease('consumer', 1_000).catch(() => undefined)) as
          Lease | undefined;
        if (!lease) await sleep(50);
      }
      expect(Date.now() - heldBackAt).toBeGreaterThanOrEqual(900);
      expect(lease!.epoch).toBeGreaterThan(Math.max(...epochs));
      // Later slots run.
      expect(await coordinator.claimSlot('consumer', Date.now() + 5_000, 60_000)).toBe(true);
      process.stdout.write(
        `[redis snapshot restore] epochs issued ${epochs.join(', ')}; the snapshot held ${epochs[1]}; ` +
          `after the restart: the lost slot refused, the lease held back ${Date.now() - heldBackAt} ms, ` +
          `then epoch ${lease!.epoch} (INCR alone would have issued ${epochs[1] + 1}, below the two issued after the snapshot)\n`,
      );
    } finally {
      client.disconnect();
    }
  });

  it('runs no slot twice and never has two lease holders across FLUSHALL and a restart without persistence, one replica 300 ms behind', async () => {
    const server = new ThrowawayRedis(await freePort());
    await server.start();
    const admin = await connectRedis(server.url);
    const routine = unique('loss');
    const keyPrefix = 'loss:';
    await primeRedisRoutine(admin, keyPrefix, `${routine}:periodic`);
    await primeRedisRoutine(admin, keyPrefix, `${routine}:lease`);
    const replicas = [0, 0, -300].map(
      (clockOffsetMs, n) =>
        new Replica(`redis replica ${n + 1}${clockOffsetMs ? ' (clock 300 ms behind)' : ''}`, {
          engine: 'redis',
          mode: 'periodic,lease',
          routine,
          keyPrefix,
          redisUrl: server.url,
          intervalMs: INTERVAL,
          missed: 'skip',
          leaseTtl: '1s',
          renewEvery: '250ms',
          retryEvery: '100ms',
          clockOffsetMs,
        }),
    );
    try {
      await Promise.all(replicas.map((replica) => replica.ready()));
      await waitFor('a lease holder', () => merged(replicas, 'lease').length > 0, 5_000);
      const losses: Array<{ what: string; at: number }> = [];
      // FLUSHALL right after a slot boundary (claims in flight, the laggard's still to come),
      // right before one, and in the middle; then a kill -9 and a restart with nothing.
      for (const offset of [5, INTERVAL - 20, INTERVAL / 2]) {
        await sleep(nextBoundary() + offset - Date.now() + 2 * INTERVAL);
        await admin.flushall();
        losses.push({ what: `FLUSHALL at boundary + ${offset} ms`, at: Date.now() });
      }
      await sleep(nextBoundary() + 10 - Date.now() + 2 * INTERVAL);
      await server.stop();
      await server.start();
      losses.push({ what: 'kill -9 and restart without persistence', at: Date.now() });
      await sleep(4_000);
      await Promise.all(replicas.map((replica) => stopGracefully(replica.process)));

      const runs = merged(replicas, 'run');
      const perSlot = new Map<number, number>();
      for (const run of runs) perSlot.set(run.slot!, (perSlot.get(run.slot!) ?? 0) + 1);
      const twice = [...perSlot].filter(([, count]) => count > 1);
      expect(twice).toEqual([]);

      const holdings = replicas.flatMap((replica) => {
        const ends = replica.of('aborted');
        return replica.of('lease').map((lease) => ({
          pid: replica.pid,
          epoch: lease.epoch!,
          from: lease.at,
          to: ends.find((end) => end.epoch === lease.epoch)?.at ?? Infinity,
        }));
      });
      const overlaps = holdings.flatMap((a) =>
        holdings.filter((b) => a !== b && a.pid !== b.pid && a.from < b.to && b.from < a.to),
      );
      expect(overlaps).toEqual([]);
      const epochs = holdings.map((holding) => holding.epoch);
      expect([...epochs].sort((a, b) => a - b)).toEqual(epochs.slice().sort((a, b) => a - b));
      expect(new Set(epochs).size).toBe(epochs.length);

      const firstSlot = Math.min(...perSlot.keys());
      const lastSlot = Math.max(...perSlot.keys());
      const slots = (lastSlot - firstSlot) / INTERVAL + 1;
      const skips = merged(replicas, 'skip').filter((skip) => skip.reason === 'claim-error');
      process.stdout.write(
        `[redis data loss] ${losses.map((loss) => loss.what).join('; ')}: ${slots} slots, ` +
          `${perSlot.size} ran once, none twice; ${slots - perSlot.size} not run (refused or engine down), ` +
          `${skips.length} claim-error skips across the replicas; ${holdings.length} lease holdings, ` +
          `none overlapping, epochs strictly growing\n`,
      );
    } catch (error) {
      for (const replica of replicas)
        process.stderr.write(`--- ${replica.label}\n${replica.log()}`);
      throw error;
    } finally {
      admin.disconnect();
      await killAll();
    }
  }, 60_000);
});

const INTERVAL = 500;

function nextBoundary(): number {
  return Math.ceil(Date.now() / INTERVAL) * INTERVAL;
}
