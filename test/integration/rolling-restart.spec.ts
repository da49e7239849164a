import {
  ENGINES,
  killAll,
  Replica,
  sleep,
  stopGracefully,
  unique,
  useSharedEngines,
  type Engine,
  type ReplicaEvent,
} from './support';

/**
 * A rolling deploy: three replicas of a cluster periodic routine, each replaced in turn
 * (twice over), the SIGTERM landing a few milliseconds after a slot boundary, while the
 * replicas' claims for that slot are in flight (each claim's answer takes 25 ms to come back,
 * as over a network). A slot won by the replica that is stopping is
 * handed back and run by another; none is lost, none is doubled.
 */
const INTERVAL = 600;
const OFFSETS = [2, 5, 8, 11, 14, 17]; // ms after the boundary at which each SIGTERM lands

describe('a rolling restart of three replicas', () => {
  const shared = useSharedEngines();
  const { keyPrefix, schema } = shared;

  const cases = ENGINES.flatMap((engine) => [
    [engine, 'claims only'] as const,
    [engine, 'run markers'] as const,
  ]);

  it.each(cases)(
    'loses no slot and doubles none on %s (%s)',
    async (engine: Engine, variant: 'claims only' | 'run markers') => {
      // With run markers, a won slot also takes a marker before it runs: a SIGTERM that lands
      // while the marker call is out must hand the slot back too.
      const markers = variant === 'run markers';
      const routine = unique(`rolling_${engine}`);
      await shared.prime(engine, routine);
      let generation = 0;
      const start = () =>
        new Replica(`${engine} replica #${++generation}`, {
          engine,
          mode: 'periodic',
          routine,
          keyPrefix,
          schema,
          intervalMs: INTERVAL,
          missed: markers ? undefined : 'skip',
          overlap: markers ? 'skip' : undefined,
          runMs: 20,
          claimLatencyMs: 25, // a network round trip: the SIGTERM lands while claims are out
        });
      const live = [start(), start(), start()];
      const all = [...live];
      try {
        await Promise.all(live.map((replica) => replica.ready()));
        const windowStart = boundaryAfter(Date.now()) + INTERVAL;
        for (let i = 0; i < OFFSETS.length; i++) {
          const index = i % live.length;
          await sleep(boundaryAfter(Date.now() + INTERVAL) + OFFSETS[i] - Date.now());
          const leaving = live[index];
          const stopping = stopGracefully(leaving.process, 5_000);
          const arriving = start();
          all.push(arriving);
          live[index] = arriving;
          await Promise.all([stopping, arriving.ready()]);
        }
        await sleep(2 * INTERVAL);
        const windowEnd = boundaryAfter(Date.now()) - 2 * INTERVAL;
        await Promise.all(live.map((replica) => stopGracefully(replica.process)));

        const runs = all.flatMap((replica) => replica.of('run'));
        const perSlot = new Map<number, ReplicaEvent[]>();
        for (const run of runs) perSlot.set(run.slot!, [...(perSlot.get(run.slot!) ?? []), run]);
        const window: number[] = [];
        for (let slot = windowStart; slot <= windowEnd; slot += INTERVAL) window.push(slot);
        expect(window.length).toBeGreaterThanOrEqual(10);
        const wrong = window
          .map((slot) => [slot, perSlot.get(slot)?.length ?? 0])
          .filter(([, count]) => count !== 1);
        expect(wrong).toEqual([]);
        expect([...perSlot.values()].filter((list) => list.length > 1)).toEqual([]);
        const handedBack = all.flatMap((replica) => replica.of('released'));
        const stoppedWins = all
          .flatMap((replica) => replica.of('skip'))
          .filter((skip) => skip.reason === 'stopped');
        process.stdout.write(
          `[rolling restart ${engine}, ${variant}] ${OFFSETS.length} replacements, SIGTERM at boundary + ${OFFSETS.join('/')} ms: ` +
            `${window.length} slots in the window, each run exactly once; ${stoppedWins.length} slot(s) won by a stopping replica, ` +
            `${handedBack.length} handed back and run by another\n`,
        );
      } catch (error) {
        for (const replica of all) process.stderr.write(`--- ${replica.label}\n${replica.log()}`);
        throw error;
      } finally {
        await killAll();
      }
    },
    90_000,
  );
});

function boundaryAfter(time: number): number {
  return Math.ceil(time / INTERVAL) * INTERVAL;
}
