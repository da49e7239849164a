import {
  ENGINES,
  kill,
  merged,
  Replica,
  sleep,
  stopGracefully,
  unique,
  type Engine,
  type ReplicaEvent,
  useSharedEngines,
} from './support';

/**
 * Overlap across replicas, on the real engines: three replica processes run one cluster
 * routine every 250 ms whose runs take 1.2 s. Under 'skip' no two runs are ever in flight at
 * once on any replicas; under 'buffer-one' exactly one slot waits and runs right after the run
 * in flight ends; the runner is SIGKILLed mid-run and its marker (ttl 1 s) expires, so a later
 * slot runs on a survivor; and each run reads the cursor the previous run left, wherever it ran.
 */
jest.setTimeout(60_000);

const INTERVAL = 250;
const RUN_MS = 1200;

interface Span {
  pid: number;
  slot: number;
  start: number;
  end: number;
  policy?: string;
}

/** Each run's start and end, per replica process, paired by slot. */
function spans(replicas: Replica[], until: number): Span[] {
  const result: Span[] = [];
  for (const replica of replicas) {
    const ends = new Map(replica.of('run-end').map((e) => [e.slot, e.at]));
    for (const run of replica.of('run')) {
      result.push({
        pid: run.pid,
        slot: run.slot!,
        start: run.at,
        end: ends.get(run.slot) ?? until, // a killed replica's run: in flight until it died
        policy: run.policy,
      });
    }
  }
  return result.sort((a, b) => a.start - b.start);
}

function overlapping(list: Span[]): Array<[Span, Span]> {
  const pairs: Array<[Span, Span]> = [];
  for (let i = 1; i < list.length; i++) {
    if (list[i].start < list[i - 1].end) pairs.push([list[i - 1], list[i]]);
  }
  return pairs;
}

describe('overlap across three replicas', () => {
  const shared = useSharedEngines();
  const { keyPrefix, schema } = shared;

  const start = async (engine: Engine, overlap: 'skip' | 'buffer-one') => {
    const routine = unique(`overlap_${engine}_${overlap.replace('-', '_')}`);
    await shared.prime(engine, routine);
    const replicas = [1, 2, 3].map(
      (n) =>
        new Replica(`${engine} ${overlap} replica ${n}`, {
          engine,
          mode: 'periodic',
          routine,
          keyPrefix,
          schema,
          intervalMs: INTERVAL,
          runMs: RUN_MS,
          overlap,
          leaseTtl: '1s',
        }),
    );
    await Promise.all(replicas.map((replica) => replica.ready()));
    return replicas;
  };

  it.each(ENGINES)(
    "'skip' on %s: never two runs at once across replicas; a killed runner's marker expires and a later slot runs",
    async (engine: Engine) => {
      const replicas = await start(engine, 'skip');
      try {
        await sleep(4 * RUN_MS);
        // Kill the replica whose run is in flight, 300 ms into it.
        const inFlight = () => {
          const runs = spans(replicas, Infinity).filter((s) => s.end === Infinity);
          return runs[0];
        };
        let running: Span | undefined;
        for (let i = 0; i < 100 && !(running = inFlight()); i++) await sleep(20);
        expect(running).toBeDefined();
        const victim = replicas.find((r) => r.process.pid === running!.pid)!;
        await sleep(Math.max(0, running!.start + 300 - Date.now()));
        const killedAt = Date.now();
        await kill(victim.process, 'SIGKILL');
        await sleep(3 * RUN_MS);
        await Promise.all(replicas.map((replica) => stopGracefully(replica.process)));

        const runs = spans(replicas, killedAt);
        expect(runs.length).toBeGreaterThanOrEqual(5);
        expect(overlapping(runs)).toEqual([]);
        // After the kill the next run waits for the victim's marker to expire (ttl 1 s), no more.
        const after = runs.filter((s) => s.start > killedAt);
        expect(after.length).toBeGreaterThanOrEqual(1);
        const gap = after[0].start - killedAt;
        expect(gap).toBeGreaterThanOrEqual(300); // not before the marker could expire
        // The marker's ttl, two ticks, and 1.5 s for a busy machine (500 ms held on a quiet one).
        expect(gap).toBeLessThan(1000 + 2 * INTERVAL + 1500);
        // Slots during a run elsewhere were skipped busy under 'skip', each by one replica.
        const busy = merged(replicas, 'skip').filter((e) => e.reason === 'busy');
        expect(busy.length).toBeGreaterThan(5);
        expect(busy.every((e) => e.policy === 'skip')).toBe(true);
        const decided = [...runs.map((s) => s.slot), ...busy.map((e) => e.slot)];
        expect(new Set(decided).size).toBe(decided.length);
        // ctx.previous: each run read the slot of the run that ended before it, on any replica.
        const reads = merged(replicas, 'previous');
        const ended = merged(replicas, 'run-end');
        let crossed = 0;
        for (const read of reads.slice(1)) {
          const before = ended.filter((e) => e.at <= read.at);
          const last = before[before.length - 1];
          if (last === undefined) continue;
          expect(read.cursor).toBe(last.slot);
          if (last.pid !== read.pid) crossed++;
        }
        console.log(
          `cluster overlap on ${engine}: ${runs.length} runs of ${RUN_MS} ms every ${INTERVAL} ms on 3 replicas, ` +
            `none overlapping; ${busy.length} slots skipped busy; runner SIGKILLed mid-run, next run ${gap} ms later; ` +
            `${crossed} runs read ctx.previous from another replica`,
        );
      } finally {
        for (const replica of replicas) replica.process.kill('SIGKILL');
      }
    },
  );

  it.each(ENGINES)(
    "'buffer-one' on %s: exactly one slot waits across the cluster and starts right after the run in flight",
    async (engine: Engine) => {
      const replicas = await start(engine, 'buffer-one');
      try {
        await sleep(5 * RUN_MS);
        await Promise.all(replicas.map((replica) => stopGracefully(replica.process)));
        const runs = spans(replicas, Date.now()).filter((s) => s.end !== Infinity);
        expect(runs.length).toBeGreaterThanOrEqual(4);
        expect(overlapping(runs)).toEqual([]);
        // After the first run, every run was a buffered one, starting soon after the end before
        // it: 150 ms held on a quiet machine; 600 ms leaves room for late timers in three
        // replica processes on a busy one, and is still half a run (1.2 s).
        const buffered = runs.slice(1);
        expect(buffered.every((s) => s.policy === 'buffer-one')).toBe(true);
        const gaps = buffered.map((s, i) => s.start - runs[i].end);
        expect(Math.max(...gaps)).toBeLessThan(600);
        // Everything else found the one place taken: skipped busy.
        const busy: ReplicaEvent[] = merged(replicas, 'skip').filter((e) => e.reason === 'busy');
        expect(busy.length).toBeGreaterThan(5);
        console.log(
          `buffer-one on ${engine}: ${runs.length} runs back to back on 3 replicas, gaps ${Math.min(...gaps)}-${Math.max(...gaps)} ms, ` +
            `${busy.length} slots skipped (the one place taken)`,
        );
      } finally {
        for (const replica of replicas) replica.process.kill('SIGKILL');
      }
    },
  );
});
