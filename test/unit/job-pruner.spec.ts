import { InMemoryCoordinator } from '../../lib/cluster/in-memory-coordinator';
import { ManualClock } from '../../lib/core/manual-clock';
import { JobPruner } from '../../lib/worker/job-pruner';

/** A table whose ended rows are `rows`; each batch deletes up to its size. */
function tableOf(rows: { count: number }, fail?: { next: boolean }) {
  const batches: number[] = [];
  return {
    batches,
    pruneBatch: (_retention: unknown, size: number): Promise<number> => {
      if (fail?.next) {
        fail.next = false;
        return Promise.reject(new Error('connection refused'));
      }
      const deleted = Math.min(size, rows.count);
      rows.count -= deleted;
      batches.push(deleted);
      return Promise.resolve(deleted);
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('JobPruner', () => {
  it('prunes in bounded batches each round, once per round across replicas sharing a coordinator', async () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const coordinator = new InMemoryCoordinator(clock);
    const rows = { count: 2500 };
    const lines: string[] = [];
    const logger = { log: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
    const a = tableOf(rows);
    const b = tableOf(rows);
    const options = { everyMs: 60_000, batch: 1000, maxBatches: 2 };
    const pruners = [
      new JobPruner('emails', a, { completed: 1 }, clock, coordinator, logger, options),
      new JobPruner('emails', b, { completed: 1 }, clock, coordinator, logger, options),
    ];
    pruners.forEach((pruner) => pruner.start());
    await clock.advance(60_000);
    for (let i = 0; i < 10; i++) await settle();
    // one replica, two batches at most this round
    expect([...a.batches, ...b.batches]).toEqual([1000, 1000]);
    expect(rows.count).toBe(500);
    await clock.advance(60_000);
    for (let i = 0; i < 10; i++) await settle();
    expect([...a.batches, ...b.batches]).toEqual([1000, 1000, 500]);
    expect(lines).toEqual([
      "worker 'emails': pruned 2000 ended job(s) past their retention",
      "worker 'emails': pruned 500 ended job(s) past their retention",
    ]);
    await Promise.all(pruners.map((pruner) => pruner.stop()));
    expect(clock.pendingTimers).toBe(0);
  });

  it('logs a failed round and prunes at the next', async () => {
    const clock = new ManualClock(0);
    const rows = { count: 10 };
    const fail = { next: true };
    const lines: string[] = [];
    const logger = { log: (m: string) => lines.push(m), warn: (m: string) => lines.push(m) };
    const pruner = new JobPruner(
      'emails',
      tableOf(rows, fail),
      { failed: 1 },
      clock,
      undefined,
      logger,
      {
        everyMs: 1000,
      },
    );
    pruner.start();
    await clock.advance(1000);
    for (let i = 0; i < 5; i++) await settle();
    expect(lines).toEqual([
      "worker 'emails': pruning ended jobs failed (connection refused); trying again at the next round",
    ]);
    await clock.advance(1000);
    for (let i = 0; i < 5; i++) await settle();
    expect(rows.count).toBe(0);
    await pruner.stop();
  });
});
