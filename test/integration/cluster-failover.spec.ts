import {
  ENGINES,
  kill,
  killAll,
  Replica,
  sleep,
  stopGracefully,
  unique,
  waitFor,
  type Engine,
  type ReplicaEvent,
  useSharedEngines,
} from './support';

/**
 * A cluster background routine on three replicas: one holds the lease. `kill -9` it: another
 * takes over once the lease has expired, with a greater epoch, and not before. Then stop the
 * new holder gracefully: it releases the lease and the last replica takes over at once.
 */
const TTL = 2000;
const RENEW = 500;
const RETRY = 500;

describe('cluster background routine failover', () => {
  const shared = useSharedEngines();
  const { keyPrefix, schema } = shared;

  it.each(ENGINES)(
    'hands the lease to another replica after kill -9 on %s',
    async (engine: Engine) => {
      const routine = unique(`failover_${engine}`);
      await shared.prime(engine, routine);
      const replicas = [1, 2, 3].map(
        (n) =>
          new Replica(`${engine} replica ${n}`, {
            engine,
            mode: 'lease',
            routine,
            keyPrefix,
            schema,
            leaseTtl: `${TTL}ms`,
            renewEvery: `${RENEW}ms`,
            retryEvery: `${RETRY}ms`,
          }),
      );
      const leasesAfter = (at: number, among = replicas): Array<[Replica, ReplicaEvent]> =>
        among.flatMap((replica) =>
          replica
            .of('lease')
            .filter((event) => event.at > at)
            .map((event): [Replica, ReplicaEvent] => [replica, event]),
        );
      try {
        await Promise.all(replicas.map((replica) => replica.ready()));
        const [[holder, first]] = await waitFor(
          'a first holder',
          () => {
            const leases = leasesAfter(0);
            return leases.length > 0 && leases;
          },
          5000,
        );
        // Give the standbys a few attempts: they must all be refused.
        await sleep(RETRY * 3);
        expect(leasesAfter(0).map(([replica]) => replica.label)).toEqual([holder.label]);

        const killedAt = Date.now();
        await kill(holder.process, 'SIGKILL');
        const survivors = replicas.filter((replica) => replica !== holder);
        const [[successor, second]] = await waitFor(
          'a replica to take over',
          () => {
            const leases = leasesAfter(killedAt, survivors);
            return leases.length > 0 && leases;
          },
          TTL + RETRY + 3000,
        );
        const takeover = second.at - killedAt;
        expect(second.epoch).toBeGreaterThan(first.epoch!);
        // Not before the old holding could have expired (its last renewal was at most RENEW ago),
        expect(takeover).toBeGreaterThanOrEqual(TTL - RENEW - 250);
        // and at most one standby retry after it expired.
        expect(takeover).toBeLessThanOrEqual(TTL + RETRY + 500);
        await sleep(RETRY * 2);
        expect(leasesAfter(killedAt).map(([replica]) => replica.label)).toEqual([successor.label]);

        // A graceful stop releases the lease: the last replica takes it within a retry period.
        const last = survivors.find((replica) => replica !== successor)!;
        const stoppedAt = Date.now();
        await stopGracefully(successor.process);
        const [[, third]] = await waitFor(
          'the last replica to take over',
          () => {
            const leases = leasesAfter(stoppedAt, [last]);
            return leases.length > 0 && leases;
          },
          RETRY + 2000,
        );
        const handover = third.at - stoppedAt;
        expect(third.epoch).toBeGreaterThan(second.epoch!);
        expect(handover).toBeLessThan(TTL - RENEW);
        expect(successor.of('aborted').at(-1)?.message).toMatch(/stopping/);

        process.stdout.write(
          `[cluster-failover ${engine}] ttl ${TTL} ms, renew ${RENEW} ms, retry ${RETRY} ms: ` +
            `takeover after kill -9 in ${takeover} ms (epoch ${first.epoch} -> ${second.epoch}); ` +
            `handover after a graceful stop in ${handover} ms (epoch ${second.epoch} -> ${third.epoch})\n`,
        );
      } catch (error) {
        for (const replica of replicas)
          process.stderr.write(`--- ${replica.label}\n${replica.log()}`);
        throw error;
      } finally {
        await killAll();
      }
    },
    30_000,
  );
});
