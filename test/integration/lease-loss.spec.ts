import {
  ENGINES,
  killAll,
  Replica,
  sleep,
  stopGracefully,
  unique,
  waitFor,
  type Engine,
  useSharedEngines,
} from './support';

/**
 * Someone else takes the lease behind the holder's back (its token is overwritten on the
 * engine): the holder's next renewal is refused and its signal aborts, within one renew
 * period. Once the intruder's holding expires, the replica takes the lease again with a
 * greater epoch.
 */
const TTL = 2000;
const RENEW = 500;

describe('losing a lease behind the holder’s back', () => {
  const shared = useSharedEngines();
  const { keyPrefix, schema } = shared;

  /** Gives the lease to an intruder for about `ms`, as another holder would. */
  async function steal(engine: Engine, routine: string, ms: number): Promise<void> {
    if (engine === 'redis') {
      expect(
        await shared.redis.set(`${keyPrefix}{${routine}}:lease`, 'intruder', 'PX', ms, 'XX'),
      ).toBe('OK');
    } else {
      const { rowCount } = await shared.pool.query(
        `UPDATE "${schema}".routines_leases SET token = 'intruder',
           expires_at = now() + ($2::float8 * interval '1 millisecond') WHERE routine = $1`,
        [routine, ms],
      );
      expect(rowCount).toBe(1);
    }
  }

  it.each(ENGINES)(
    'aborts the holder’s signal within one renew period on %s',
    async (engine: Engine) => {
      const routine = unique(`loss_${engine}`);
      await shared.prime(engine, routine);
      const replica = new Replica(`${engine} replica`, {
        engine,
        mode: 'lease',
        routine,
        keyPrefix,
        schema,
        leaseTtl: `${TTL}ms`,
        renewEvery: `${RENEW}ms`,
        retryEvery: '250ms',
      });
      try {
        await replica.ready();
        const first = await waitFor('the lease', () => replica.of('lease')[0], 5000);
        await sleep(RENEW + 137); // somewhere between two renewals
        const stolenAt = Date.now();
        await steal(engine, `${routine}:lease`, 1000);
        const aborted = await waitFor(
          'the holder to abort',
          () => replica.of('aborted').find((event) => event.at >= stolenAt),
          RENEW + 2000,
        );
        const latency = aborted.at - stolenAt;
        expect(aborted.reason).toBe('AbortError');
        expect(aborted.message).toMatch(/lost its cluster lease/);
        expect(latency).toBeLessThanOrEqual(RENEW + 250);

        const again = await waitFor(
          'the replica to take the lease again',
          () => replica.of('lease').find((event) => event.at > aborted.at),
          3000,
        );
        expect(again.epoch).toBeGreaterThan(first.epoch!);
        // Not while the intruder held it.
        expect(again.at - stolenAt).toBeGreaterThanOrEqual(1000 - 50);
        await stopGracefully(replica.process);

        process.stdout.write(
          `[lease-loss ${engine}] renew every ${RENEW} ms: signal aborted ${latency} ms after the lease was taken ` +
            `behind the holder's back; lease taken again ${again.at - stolenAt} ms after (the intruder held it 1000 ms), ` +
            `epoch ${first.epoch} -> ${again.epoch}\n`,
        );
      } catch (error) {
        process.stderr.write(`--- ${replica.label}\n${replica.log()}`);
        throw error;
      } finally {
        await killAll();
      }
    },
    20_000,
  );
});
