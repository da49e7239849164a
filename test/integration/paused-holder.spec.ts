import {
  ENGINES,
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
 * A lease holder frozen past its ttl (SIGSTOP: a long GC pause, a frozen VM) while another
 * replica takes over. On SIGCONT its handler's own timer may run before the library's
 * deadline does, and act with the old epoch. `ctx.holdsLease()` reads the monotonic clock
 * synchronously and says no: a handler that checks it before writing never writes stale.
 */
describe('a lease holder paused past its ttl', () => {
  const shared = useSharedEngines();
  const { keyPrefix, schema } = shared;

  it.each(ENGINES)(
    'does not write with its old epoch after SIGCONT when it checks holdsLease(), on %s',
    async (engine: Engine) => {
      const outcome = async (checkLease: boolean) => {
        const routine = unique(`paused_${engine}`);
        await shared.prime(engine, routine);
        const replicas = [1, 2].map(
          (n) =>
            new Replica(`${engine} replica ${n}${checkLease ? '' : ' (no check)'}`, {
              engine,
              mode: 'lease',
              routine,
              keyPrefix,
              schema,
              leaseTtl: '1s',
              renewEvery: '250ms',
              retryEvery: '100ms',
              writeEveryMs: 20,
              checkLease,
            }),
        );
        try {
          await Promise.all(replicas.map((replica) => replica.ready()));
          const first = await waitFor('a holder', () => merged(replicas, 'lease')[0], 5_000);
          const holder = replicas.find((replica) => replica.pid === first.pid)!;
          const standby = replicas.find((replica) => replica !== holder)!;
          await waitFor('a write', () => holder.of('write').length > 3, 10_000);
          holder.process.kill('SIGSTOP');
          const takeover = await waitFor('the takeover', () => standby.of('lease')[0], 5_000);
          await sleep(300);
          holder.process.kill('SIGCONT');
          await waitFor('the old holder to abort', () => holder.of('aborted')[0], 5_000);
          await sleep(200);
          await Promise.all(replicas.map((replica) => stopGracefully(replica.process)));
          const stale = holder
            .of('write')
            .filter((write) => write.at >= takeover.at && write.epoch === first.epoch);
          return { stale: stale.length, epochs: [first.epoch!, takeover.epoch!] };
        } catch (error) {
          for (const replica of replicas)
            process.stderr.write(`--- ${replica.label}\n${replica.log()}`);
          throw error;
        } finally {
          await killAll();
        }
      };
      const unchecked = await outcome(false);
      const checked = await outcome(true);
      expect(checked.stale).toBe(0);
      expect(checked.epochs[1]).toBeGreaterThan(checked.epochs[0]);
      process.stdout.write(
        `[paused holder ${engine}] SIGSTOP past a 1 s ttl, another replica took over, SIGCONT: ` +
          `writes with the old epoch after the takeover: ${unchecked.stale} without holdsLease(), ` +
          `${checked.stale} with it\n`,
      );
    },
    60_000,
  );
});
