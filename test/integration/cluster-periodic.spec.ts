import type { Redis } from 'ioredis';
import {
  ENGINES,
  kill,
  killAll,
  merged,
  Replica,
  sleep,
  stopGracefully,
  unique,
  type Engine,
  useSharedEngines,
} from './support';

/**
 * Three replicas run the same cluster-scoped periodic routine every 500 ms on a shared
 * engine; one of them is killed halfway. Every slot of the observed window must run exactly
 * once, and no slot ever twice.
 */
const INTERVAL = 500;
const SLOTS_BEFORE_KILL = 11;
const SLOTS_AFTER_KILL = 11;

describe('cluster periodic routine on three replicas', () => {
  const shared = useSharedEngines();
  const { keyPrefix, schema } = shared;

  it.each(ENGINES)(
    'runs every slot exactly once on %s, whichever replicas are up',
    async (engine: Engine) => {
      const routine = unique(`periodic_${engine}`);
      await shared.prime(engine, routine);
      const setCallsBefore = engine === 'redis' ? await scriptCalls(shared.redis) : 0;
      const replicas = [1, 2, 3].map(
        (n) =>
          new Replica(`${engine} replica ${n}`, {
            engine,
            mode: 'periodic',
            routine,
            keyPrefix,
            schema,
            intervalMs: INTERVAL,
            missed: 'once',
          }),
      );
      try {
        const ready = await Promise.all(replicas.map((replica) => replica.ready()));
        const windowStart =
          (Math.floor(Math.max(...ready.map((e) => e.at)) / INTERVAL) + 2) * INTERVAL;

        // Kill one replica (-9) half an interval after a slot, when its run is long over.
        const killAt = windowStart + SLOTS_BEFORE_KILL * INTERVAL + INTERVAL / 2;
        await sleep(killAt - Date.now());
        const victim = replicas[0];
        await kill(victim.process, 'SIGKILL');

        const stopAt = killAt + SLOTS_AFTER_KILL * INTERVAL;
        await sleep(stopAt - Date.now());
        const windowEnd = (Math.floor(Date.now() / INTERVAL) - 1) * INTERVAL;
        await Promise.all(replicas.map((replica) => stopGracefully(replica.process)));

        const runs = merged(replicas, 'run');
        const claims = merged(replicas, 'claim');
        const runsPerSlot = new Map<number, number>();
        for (const run of runs) runsPerSlot.set(run.slot!, (runsPerSlot.get(run.slot!) ?? 0) + 1);

        const window: number[] = [];
        for (let slot = windowStart; slot <= windowEnd; slot += INTERVAL) window.push(slot);
        expect(window.length).toBeGreaterThanOrEqual(20);
        const notOnce = window.filter((slot) => runsPerSlot.get(slot) !== 1);
        expect(notOnce.map((slot) => [slot, runsPerSlot.get(slot) ?? 0])).toEqual([]);
        const twice = [...runsPerSlot].filter(([, count]) => count > 1);
        expect(twice).toEqual([]);

        // Each run follows a won claim; each slot of the window was won once.
        for (const slot of window) {
          expect(claims.filter((c) => c.slot === slot && c.won)).toHaveLength(1);
        }
        // Requests the replica's client sent while each claim was pending. A replica's first
        // claim may also load the script (NOSCRIPT, then EVAL) and read the server's eviction
        // policy; after it, a claim costs one round trip, or shares one with claims due at the
        // same instant. A request of another claim's (a hand-back, a second look) may overlap
        // a claim's wait, so one claim in a while shows two.
        const roundTrips = replicas.flatMap((replica) =>
          replica
            .of('claim')
            .slice(1)
            .map((claim) => claim.roundTrips!),
        );
        const mean = roundTrips.reduce((a, b) => a + b, 0) / roundTrips.length;
        expect(mean).toBeLessThanOrEqual(1.1);
        expect(Math.max(...roundTrips)).toBeLessThanOrEqual(2);

        const histogram: Record<string, number> = {};
        for (const slot of window) {
          const count = String(runsPerSlot.get(slot) ?? 0);
          histogram[count] = (histogram[count] ?? 0) + 1;
        }
        const perReplica = replicas.map(
          (replica) =>
            `${replica.pid}${replica === victim ? ' (killed)' : ''}: ${replica.of('run').length}`,
        );
        let commandStats = '';
        if (engine === 'redis') {
          const scripts = (await scriptCalls(shared.redis)) - setCallsBefore;
          commandStats = `; server-side script calls during the test: ${scripts} for ${claims.length} claims and the other tests' calls (INFO commandstats, shared server)`;
        }
        process.stdout.write(
          `[cluster-periodic ${engine}] ${window.length} slots in window, runs per slot ${JSON.stringify(histogram)}; ` +
            `slots run before the window: ${runs.filter((r) => r.slot! < windowStart).length}; ` +
            `runs per replica: ${perReplica.join(', ')}; ` +
            `claims ${claims.length} (${claims.filter((c) => c.won).length} won), round trips per claim: ` +
            `mean ${(roundTrips.reduce((a, b) => a + b, 0) / roundTrips.length).toFixed(2)}, max ${Math.max(...roundTrips)} ` +
            `(requests the replica's client sent while each claimSlot was pending)${commandStats}\n`,
        );
      } catch (error) {
        for (const replica of replicas)
          process.stderr.write(`--- ${replica.label}\n${replica.log()}`);
        throw error;
      } finally {
        await killAll();
      }
    },
    60_000,
  );
});

async function scriptCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  const calls = (name: string) =>
    Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  return calls('evalsha') + calls('eval');
}
