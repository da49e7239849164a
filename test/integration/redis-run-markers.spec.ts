import { RedisCoordinator } from '../../lib/redis';
import type { BeginAnswer } from '../../lib/core';
import { connectRedis, freePort, killAll, ThrowawayRedis, unique } from './support';

/**
 * Redis run markers after a data loss: epochs keep growing, as PostgreSQL's do. FLUSHDB runs
 * on a private redis-server, so the shared one is never touched.
 */
describe('Redis run markers losing their data', () => {
  afterAll(async () => {
    await killAll();
  });

  it('issue epochs from the server clock in µs, still growing after a FLUSHDB', async () => {
    const server = new ThrowawayRedis(await freePort());
    await server.start();
    const client = await connectRedis(server.url);
    try {
      const keyPrefix = `${unique('markers')}:`;
      const runs = new RedisCoordinator(client, { keyPrefix }).runs!;
      const begin = (token: string) =>
        runs.begin('nightly', { token, ttlMs: 60_000, limit: 1, queue: 0, cancel: false });
      const epochOf = (answer: BeginAnswer) => (answer.state === 'running' ? answer.epoch : NaN);
      const before = Date.now();
      const epochs: number[] = [];
      for (const token of ['a', 'b', 'c']) {
        epochs.push(epochOf(await begin(token)));
        await runs.end('nightly', token);
      }
      // A retried begin of a running run answers its own epoch, exactly.
      const again = epochOf(await begin('d'));
      expect(epochOf(await begin('d'))).toBe(again);
      await runs.end('nightly', 'd');
      epochs.push(again);
      await client.flushdb();
      epochs.push(epochOf(await begin('e')));
      await runs.end('nightly', 'e');
      epochs.push(epochOf(await begin('f')));

      expect(epochs.every(Number.isSafeInteger)).toBe(true);
      expect(epochs[0]).toBeGreaterThanOrEqual((before - 60_000) * 1000); // µs, not a counter from 1
      for (let i = 1; i < epochs.length; i++) expect(epochs[i]).toBeGreaterThan(epochs[i - 1]);
      process.stdout.write(`[redis run markers] epochs across a FLUSHDB: ${epochs.join(', ')}\n`);
    } finally {
      client.disconnect();
      await server.stop();
    }
  }, 30_000);
});
