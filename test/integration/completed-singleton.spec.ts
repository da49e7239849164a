import {
  ENGINES,
  kill,
  killAll,
  merged,
  Replica,
  sleep,
  stopGracefully,
  unique,
  useSharedEngines,
  waitFor,
  type Engine,
} from './support';

/**
 * A cluster background routine whose start() returns (a seeding job, a one-off backfill):
 * it runs once across the replicas that are up, once per version, and again on another
 * replica if the one running it dies first.
 */
describe('a cluster routine that completes', () => {
  const shared = useSharedEngines();
  const { keyPrefix, schema } = shared;

  const fleet = (engine: Engine, routine: string, version: string, workMs = 300) =>
    [1, 2, 3].map(
      (n) =>
        new Replica(`${engine} ${version} replica ${n}`, {
          engine,
          mode: 'complete',
          routine,
          keyPrefix,
          schema,
          version,
          workMs,
          leaseTtl: '1s',
          renewEvery: '250ms',
          retryEvery: '100ms',
        }),
    );

  it.each(ENGINES)(
    'runs once across three replicas, once per version, and again only where the runner died, on %s',
    async (engine: Engine) => {
      const routine = unique(`once_${engine}`);
      await shared.prime(engine, routine);
      const all: Replica[] = [];
      try {
        // Three replicas: one runs it, the two others see the completion and never run it.
        const first = fleet(engine, routine, 'v1');
        all.push(...first);
        await waitFor(
          'every replica completed',
          () => first.every((replica) => replica.of('completed').length === 1),
          10_000,
        );
        await sleep(1_500); // longer than the lease ttl: nobody runs it again
        expect(merged(first, 'work-started')).toHaveLength(1);
        expect(merged(first, 'work-done')).toHaveLength(1);
        await Promise.all(first.map((replica) => stopGracefully(replica.process)));

        // The whole fleet restarted under the same version: nothing runs.
        const same = fleet(engine, routine, 'v1');
        all.push(...same);
        await waitFor(
          'the restarted fleet to see the completion',
          () => same.every((replica) => replica.of('completed').length === 1),
          10_000,
        );
        expect(merged(same, 'work-started')).toHaveLength(0);
        await Promise.all(same.map((replica) => stopGracefully(replica.process)));

        // A new version, and the replica running it is killed (-9) halfway: another one runs
        // it to completion after the lease expires, and it completes everywhere.
        const next = fleet(engine, routine, 'v2', 2_000);
        all.push(...next);
        const started = await waitFor(
          'a runner under v2',
          () => merged(next, 'work-started')[0],
          10_000,
        );
        const runner = next.find((replica) => replica.pid === started.pid)!;
        await sleep(300);
        await kill(runner.process, 'SIGKILL');
        const killedAt = Date.now();
        const survivors = next.filter((replica) => replica !== runner);
        await waitFor(
          'the survivors to complete',
          () => survivors.every((replica) => replica.of('completed').length === 1),
          15_000,
        );
        const reruns = merged(survivors, 'work-started');
        expect(reruns).toHaveLength(1);
        expect(merged(survivors, 'work-done')).toHaveLength(1);
        expect(reruns[0].epoch).toBeGreaterThan(started.epoch!);
        process.stdout.write(
          `[completed singleton ${engine}] v1: 3 replicas, 1 run, 3 completed; fleet restarted under v1: 0 runs; ` +
            `v2 with the runner killed -9 after 300 ms: run again by another replica ${reruns[0].at - killedAt} ms later ` +
            `(epoch ${started.epoch} -> ${reruns[0].epoch}), 1 completion\n`,
        );
      } catch (error) {
        for (const replica of all) process.stderr.write(`--- ${replica.label}\n${replica.log()}`);
        throw error;
      } finally {
        await killAll();
      }
    },
    60_000,
  );
});
