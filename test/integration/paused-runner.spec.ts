import {
  DATABASE_URL,
  ENGINES,
  freePort,
  REDIS_URL,
  TcpProxy,
  killAll,
  merged,
  Replica,
  sleep,
  stopGracefully,
  unique,
  useSharedEngines,
  waitFor,
  type Engine,
  type ReplicaEvent,
} from './support';

/**
 * A cluster periodic run whose replica is frozen (SIGSTOP: a long GC pause, a frozen VM) past
 * its run marker's ttl while the routine's next slot runs elsewhere. Three replicas, a 1 s
 * routine whose runs last 6 s, `overlap: 'skip'`, marker ttl 1 s; the run acts every 20 ms.
 * The runner is stopped for 2.5 s three times. A run that checks `ctx.holdsLease()` before
 * acting never acts once a newer run (a higher epoch) has begun; one that does not check
 * shows what in-flight code can still do (the README's limit: only fenced writes are safe).
 */
jest.setTimeout(120_000);

/** Acts made by a run after a run with a higher epoch had already acted. */
function staleActs(writes: ReplicaEvent[]): ReplicaEvent[] {
  let newest = -Infinity;
  const stale: ReplicaEvent[] = [];
  for (const write of [...writes].sort((a, b) => a.at - b.at)) {
    if (write.epoch! < newest) stale.push(write);
    newest = Math.max(newest, write.epoch!);
  }
  return stale;
}

describe('a cluster run paused past its run marker', () => {
  const shared = useSharedEngines();
  const { keyPrefix, schema } = shared;

  it.each(ENGINES)(
    'acts no more once another replica may run, when it checks ctx.holdsLease(), on %s',
    async (engine: Engine) => {
      const outcome = async (checkLease: boolean) => {
        const routine = unique(`paused_run_${engine}`);
        await shared.prime(engine, routine);
        const replicas = [1, 2, 3].map(
          (n) =>
            new Replica(`${engine} replica ${n}${checkLease ? '' : ' (no check)'}`, {
              engine,
              mode: 'periodic',
              routine,
              keyPrefix,
              schema,
              intervalMs: 1000,
              runMs: 6000,
              overlap: 'skip',
              leaseTtl: '1s',
              writeEveryMs: 20,
              checkLease,
            }),
        );
        const recoveries: number[] = [];
        try {
          await Promise.all(replicas.map((replica) => replica.ready()));
          for (let pause = 0; pause < 3; pause++) {
            const since = Date.now();
            const last = await waitFor(
              'a run acting',
              () => merged(replicas, 'write').filter((w) => w.at > since + 100)[0],
              15_000,
            );
            const runner = replicas.find((replica) => replica.pid === last.pid)!;
            runner.process.kill('SIGSTOP');
            const stoppedAt = Date.now();
            const next = await waitFor(
              'a run on another replica',
              () => merged(replicas, 'write').find((w) => w.pid !== runner.pid && w.at > stoppedAt),
              15_000,
            );
            recoveries.push(next.at - stoppedAt);
            await sleep(Math.max(0, 2500 - (Date.now() - stoppedAt)));
            runner.process.kill('SIGCONT');
            await sleep(500);
          }
          await Promise.all(replicas.map((replica) => stopGracefully(replica.process)));
          const writes = merged(replicas, 'write');
          const stale = staleActs(writes);
          const died = replicas.filter((r) => r.process.exitCode !== 0).length;
          return { stale: stale.length, recoveries, died, writes: writes.length };
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
      process.stdout.write(
        `[paused runner ${engine}] three SIGSTOPs of 2.5 s past a 1 s marker ttl: acts after a newer run ` +
          `began: ${unchecked.stale} without holdsLease(), ${checked.stale} with it; ` +
          `next run elsewhere ${checked.recoveries.join(' / ')} ms after each SIGSTOP; ` +
          `processes that died: ${checked.died + unchecked.died}\n`,
      );
      expect(checked.stale).toBe(0);
      expect(checked.died).toBe(0);
      expect(checked.writes).toBeGreaterThan(0);
    },
    120_000,
  );
});

/**
 * The runner cut off from its engine (a TCP proxy in front of it that the test stops: every
 * connection cut, new ones refused) while its 6 s run goes on: its renewals fail, its run is
 * aborted at the renew deadline, and the next run starts on another replica only after the
 * marker's ttl: the two never act at once.
 */
describe('a cluster run cut off from its engine', () => {
  const shared = useSharedEngines();
  const { keyPrefix, schema } = shared;

  it.each(ENGINES)(
    'stops acting before another replica starts, on %s',
    async (engine: Engine) => {
      const routine = unique(`cut_run_${engine}`);
      await shared.prime(engine, routine);
      const target = new URL(engine === 'redis' ? REDIS_URL : DATABASE_URL);
      const proxy = new TcpProxy(await freePort(), {
        host: target.hostname,
        port: Number(target.port || (engine === 'redis' ? 6379 : 5432)),
      });
      await proxy.start();
      const proxied = new URL(target.toString());
      proxied.hostname = '127.0.0.1';
      proxied.port = String(proxy.port);
      const config = (n: number, url?: string) =>
        new Replica(`${engine} replica ${n}${url ? ' (behind the proxy)' : ''}`, {
          engine,
          mode: 'periodic',
          routine,
          keyPrefix,
          schema,
          intervalMs: 1000,
          runMs: 6000,
          overlap: 'skip',
          leaseTtl: '1500ms',
          writeEveryMs: 20,
          ...(url ? (engine === 'redis' ? { redisUrl: url } : { databaseUrl: url }) : {}),
        });
      const cutOff = config(1, proxied.toString());
      const replicas = [cutOff];
      try {
        await cutOff.ready();
        await waitFor('the proxied replica to run', () => cutOff.of('write').length > 5, 15_000);
        replicas.push(config(2), config(3));
        await Promise.all(replicas.map((replica) => replica.ready()));
        await sleep(500);
        const cutAt = Date.now();
        await proxy.stop();
        const next = await waitFor(
          'a run on another replica',
          () => merged(replicas, 'write').find((w) => w.pid !== cutOff.pid && w.at > cutAt),
          20_000,
        );
        const aborted = await waitFor(
          'the cut run to end',
          () => cutOff.of('run-end').find((end) => end.at > cutAt),
          20_000,
        );
        const lastAct = Math.max(...cutOff.of('write').map((w) => w.at));
        await proxy.start(); // the network comes back
        await sleep(1500);
        await Promise.all(replicas.map((replica) => stopGracefully(replica.process)));
        const stale = staleActs(merged(replicas, 'write'));
        const died = replicas.filter((r) => r.process.exitCode !== 0).length;
        process.stdout.write(
          `[cut-off runner ${engine}] marker ttl 1.5 s, the runner's connection cut mid-run: ` +
            `its run ended (${aborted.status}) ${aborted.at - cutAt} ms after the cut, its last act ` +
            `${lastAct - cutAt} ms after; the next run elsewhere ${next.at - cutAt} ms after ` +
            `(gap ${next.at - lastAct} ms); acts after a newer run began: ${stale.length}; ` +
            `processes that died: ${died}\n`,
        );
        expect(next.at).toBeGreaterThan(lastAct);
        expect(stale).toEqual([]);
        expect(died).toBe(0);
      } catch (error) {
        for (const replica of replicas)
          process.stderr.write(`--- ${replica.label}\n${replica.log()}`);
        throw error;
      } finally {
        await killAll();
        await proxy.stop();
      }
    },
    90_000,
  );
});
