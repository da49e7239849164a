import { bucketStart, type RunHistoryStore, type StoredRun } from '../../../lib/core';
import { unique } from '../support';
import { useHarness, type PortSetup } from './port-harness';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * The behaviour every {@link RunHistoryStore} must have; run against each engine. Each case
 * writes routines of its own. Times are recent (the day before yesterday onwards): Redis lets a
 * stats bucket expire 7 days after it starts.
 */
export function describeRunHistoryContract(name: string, setup: PortSetup<RunHistoryStore>): void {
  describe(`${name}: the RunHistoryStore contract`, () => {
    const engine = useHarness(setup);
    const base = bucketStart(Date.now(), 'day') - 2 * DAY;

    function run(
      routine: string,
      replica: string,
      at: number,
      extra: Partial<StoredRun> = {},
    ): StoredRun {
      return {
        routine,
        replica,
        at,
        id: at - base,
        status: 'succeeded',
        dueAt: at,
        startedAt: at,
        durationMs: 10,
        ...extra,
      };
    }

    it("keeps every replica's runs and reads them newest first, by range, replica and limit", async () => {
      const routine = unique('history');
      const a = engine.harness.port();
      const b = engine.harness.port();
      await a.append([run(routine, 'a', base + 1000), run(routine, 'a', base + 3000)]);
      await b.append([
        run(routine, 'b', base + 2000, {
          status: 'failed',
          error: { name: 'Error', message: 'boom', stack: 'Error: boom\n    at x' },
          slot: base + 2000,
          epoch: 7,
        }),
      ]);
      const all = await a.read(routine, { limit: 10 });
      expect(all.map((r) => [r.replica, r.at])).toEqual([
        ['a', base + 3000],
        ['b', base + 2000],
        ['a', base + 1000],
      ]);
      expect(all[1]).toEqual(
        run(routine, 'b', base + 2000, {
          status: 'failed',
          error: { name: 'Error', message: 'boom', stack: 'Error: boom\n    at x' },
          slot: base + 2000,
          epoch: 7,
        }),
      );
      expect((await b.read(routine, { replica: 'a', limit: 10 })).map((r) => r.at)).toEqual([
        base + 3000,
        base + 1000,
      ]);
      expect(
        (await b.read(routine, { from: base + 1500, to: base + 3000, limit: 10 })).map((r) => r.at),
      ).toEqual([base + 3000, base + 2000]);
      expect((await b.read(routine, { limit: 1 })).map((r) => r.at)).toEqual([base + 3000]);
      expect(await b.read(unique('never-ran'), { limit: 10 })).toEqual([]);
    });

    it('counts runs by hour and by day, skipped ticks apart, with their durations', async () => {
      const routine = unique('stats');
      const store = engine.harness.port();
      await store.append([
        run(routine, 'a', base + 10, { durationMs: 100 }),
        run(routine, 'a', base + 20, { status: 'failed', durationMs: 300 }),
        run(routine, 'b', base + HOUR + 5, { status: 'cancelled', durationMs: 50 }),
        {
          routine,
          replica: 'b',
          at: base + HOUR + 6,
          status: 'skipped',
          reason: 'busy',
          dueAt: base + HOUR,
        },
      ]);
      const range = { from: base - DAY, to: base + DAY };
      expect(await store.stats(routine, { by: 'hour', ...range })).toEqual([
        {
          start: base,
          runs: 2,
          succeeded: 1,
          failed: 1,
          cancelled: 0,
          skipped: 0,
          durationMs: { min: 100, avg: 200, max: 300, total: 400 },
        },
        {
          start: base + HOUR,
          runs: 1,
          succeeded: 0,
          failed: 0,
          cancelled: 1,
          skipped: 1,
          durationMs: { min: 50, avg: 50, max: 50, total: 50 },
        },
      ]);
      expect(await store.stats(routine, { by: 'day', ...range })).toEqual([
        {
          start: base,
          runs: 3,
          succeeded: 1,
          failed: 1,
          cancelled: 1,
          skipped: 1,
          durationMs: { min: 50, avg: 150, max: 300, total: 450 },
        },
      ]);
    });

    it('keeps and counts a run once when its batch is sent again', async () => {
      const routine = unique('again');
      const store = engine.harness.port();
      const batch = [run(routine, 'a', base + 1), run(routine, 'a', base + 2)];
      await store.append(batch);
      await store.append(batch);
      expect(await store.read(routine, { limit: 10 })).toHaveLength(2);
      const [hour] = await store.stats(routine, { by: 'hour', from: base, to: base + HOUR });
      expect(hour.runs).toBe(2);
    });

    it('prunes runs by age and by count, for every routine, and keeps the stats', async () => {
      const [first, second] = [unique('prune'), unique('prune')];
      const store = engine.harness.port();
      const runs = [];
      for (let i = 0; i < 5; i++) runs.push(run(first, 'a', base + i * 1000));
      for (let i = 0; i < 3; i++) runs.push(run(second, 'a', base + i * 1000));
      await store.append(runs);
      await store.prune({
        runsBefore: base + 1000,
        runsPerRoutine: 3,
        hoursBefore: base - 30 * DAY,
        daysBefore: base - 90 * DAY,
      });
      expect((await store.read(first, { limit: 10 })).map((r) => r.at)).toEqual([
        base + 4000,
        base + 3000,
        base + 2000,
      ]);
      expect((await store.read(second, { limit: 10 })).map((r) => r.at)).toEqual([
        base + 2000,
        base + 1000,
      ]);
      const [hour] = await store.stats(first, { by: 'hour', from: base, to: base + HOUR });
      expect(hour.runs).toBe(5);
    });

    it('trims a routine to keepRuns on append when the engine does it there, and never below', async () => {
      const routine = unique('trim');
      const store = engine.harness.port();
      const runs = [];
      for (let i = 0; i < 6; i++) runs.push(run(routine, 'a', base + i));
      await store.append(runs, 4);
      const kept = await store.read(routine, { limit: 10 });
      // PostgreSQL trims at prune only; memory and Redis on the way.
      expect(kept.length === 4 || kept.length === 6).toBe(true);
      expect(kept.slice(0, 4).map((r) => r.at)).toEqual([base + 5, base + 4, base + 3, base + 2]);
    });
  });
}
