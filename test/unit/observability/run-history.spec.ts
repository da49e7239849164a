import fc from 'fast-check';
import { ManualClock, PeriodicRoutine, SupervisedRoutine } from '../../../lib/core';
import { RunHistory, runStats, type RunRecord } from '../../../lib/observability';
import { sleep } from '../core/helpers';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const quiet = { log() {}, warn() {}, error() {} };

describe('RunHistory', () => {
  it('keeps the last runs of a routine, newest first, with wall times, outcomes and errors', async () => {
    const clock = new ManualClock(T0);
    const history = new RunHistory(10);
    let call = 0;
    const routine = new PeriodicRoutine(
      async () => {
        call++;
        await sleep(clock, 100 * call);
        if (call === 2) throw new TypeError('bad row');
      },
      { name: 'janitor', interval: '1m', clock, recorder: history, logger: quiet },
    );
    routine.start();
    await clock.advance(2 * 60_000 + 1_000);
    const records = history.records(clock);
    expect(records).toEqual([
      { id: 3, status: 'succeeded', dueAt: T0 + 120_000, startedAt: T0 + 120_000, durationMs: 300 },
      {
        id: 2,
        status: 'failed',
        dueAt: T0 + 60_000,
        startedAt: T0 + 60_000,
        durationMs: 200,
        error: { name: 'TypeError', message: 'bad row' },
      },
      { id: 1, status: 'succeeded', dueAt: T0, startedAt: T0, durationMs: 100 },
    ]);
    expect(JSON.parse(JSON.stringify(records))).toEqual(records);
    expect(history.records(clock, 1)).toHaveLength(1);
    await routine.stop();
  });

  it('records skipped ticks with their reason, and no run id', async () => {
    const clock = new ManualClock(T0);
    const history = new RunHistory(10);
    const routine = new PeriodicRoutine(() => sleep(clock, 2_500), {
      name: 'slow',
      interval: '1s',
      clock,
      recorder: history,
    });
    routine.start();
    await clock.advance(2_000);
    expect(
      history.records(clock).map(({ status, reason, id }) => ({ status, reason, id })),
    ).toEqual([
      { status: 'skipped', reason: 'busy', id: undefined },
      { status: 'skipped', reason: 'busy', id: undefined },
    ]);
    await clock.advance(1_000);
    expect(history.records(clock)[0]).toMatchObject({ status: 'succeeded', durationMs: 2_500 });
    const stopping = routine.stop();
    await clock.advance(2_500); // the run in flight ends
    await stopping;
  });

  it('records background attempts with the restart delay that followed a failure', async () => {
    const clock = new ManualClock(T0);
    const history = new RunHistory(10);
    let attempts = 0;
    const routine = new SupervisedRoutine(
      async (signal) => {
        if (++attempts < 3) throw new Error(`attempt ${attempts}`);
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
      },
      {
        name: 'worker',
        clock,
        recorder: history,
        logger: quiet,
        random: () => 1,
        restart: { initialDelay: '1s', maxDelay: '10s', maxRestarts: 5, within: '1m' },
      },
    );
    routine.start();
    await clock.advance(10_000);
    await routine.stop();
    const records = history.records(clock);
    expect(records.map((r) => [r.id, r.status, r.restartDelayMs, r.error?.message])).toEqual([
      [3, 'cancelled', undefined, undefined],
      [2, 'failed', 2_000, 'attempt 2'],
      [1, 'failed', 1_000, 'attempt 1'],
    ]);
  });

  it('wraps around: a ring of n keeps exactly the newest n, in order (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 70 }),
        (capacity, runs) => {
          const clock = new ManualClock(T0);
          const history = new RunHistory(capacity);
          for (let id = 1; id <= runs; id++) {
            history.ran(
              id,
              'succeeded',
              id * 10,
              false,
              id * 10,
              id * 10 + id,
              undefined,
              undefined,
            );
          }
          const ids = history.records(clock).map((record) => record.id);
          const expected = Array.from({ length: Math.min(capacity, runs) }, (_, n) => runs - n);
          expect(ids).toEqual(expected);
          expect(history.records(clock).map((record) => record.durationMs)).toEqual(expected);
        },
      ),
    );
  });

  it('allocates nothing until the first record', () => {
    const history = new RunHistory(100);
    expect(history.length).toBe(0);
    expect(history.records(new ManualClock())).toEqual([]);
  });
});

describe('runStats', () => {
  const run = (durationMs: number, status: RunRecord['status'] = 'succeeded'): RunRecord => ({
    status,
    dueAt: 0,
    startedAt: 0,
    durationMs,
  });

  it('counts outcomes and skips by reason', () => {
    const stats = runStats([
      run(10),
      run(20, 'failed'),
      run(5, 'cancelled'),
      { status: 'skipped', reason: 'busy', dueAt: 0 },
      { status: 'skipped', reason: 'busy', dueAt: 0 },
      { status: 'skipped', reason: 'late', dueAt: 0 },
    ]);
    expect(stats).toEqual({
      runs: 3,
      succeeded: 1,
      failures: 1,
      cancelled: 1,
      skipped: { busy: 2, late: 1 },
      durationMs: { min: 5, avg: 35 / 3, p50: 10, p95: 20, max: 20 },
    });
    expect(runStats([]).durationMs).toBeUndefined();
  });

  it('percentiles are nearest-rank against a sorted reference (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 200 }),
        (durations) => {
          const stats = runStats(durations.map((d) => run(d)));
          const sorted = [...durations].sort((a, b) => a - b);
          const rank = (q: number) => sorted[Math.ceil(q * sorted.length) - 1];
          expect(stats.durationMs).toEqual({
            min: sorted[0],
            avg: durations.reduce((a, b) => a + b, 0) / durations.length,
            p50: rank(0.5),
            p95: rank(0.95),
            max: sorted[sorted.length - 1],
          });
          // At least 95% of the runs took no longer than p95, and p95 is one of them.
          expect(sorted.filter((d) => d <= stats.durationMs!.p95).length).toBeGreaterThanOrEqual(
            0.95 * sorted.length,
          );
        },
      ),
    );
  });
});
