import { JobHistory, jobRecorders, jobStats } from '../../../lib/observability';

describe('JobHistory', () => {
  it('keeps the last `capacity` attempts, newest first, with their errors as plain data', () => {
    const history = new JobHistory(3);
    history.ended({ id: '1', attempt: 1 }, 'succeeded', 1000, 5, undefined);
    history.ended({ id: '2', attempt: 1 }, 'retried', 1010, 7, new TypeError('bad row'));
    history.ended({ id: '2', attempt: 2 }, 'failed', 1020, 9, 'a string');
    history.ended({ id: '3', attempt: 1 }, 'succeeded', 1030, 1, new Error('ignored on success'));
    const records = history.records();
    expect(records).toEqual([
      { id: '3', attempt: 1, outcome: 'succeeded', startedAt: 1030, durationMs: 1 },
      {
        id: '2',
        attempt: 2,
        outcome: 'failed',
        startedAt: 1020,
        durationMs: 9,
        error: { name: 'NonError', message: 'a string' },
      },
      {
        id: '2',
        attempt: 1,
        outcome: 'retried',
        startedAt: 1010,
        durationMs: 7,
        error: { name: 'TypeError', message: 'bad row' },
      },
    ]);
    expect(history.records(1)).toEqual(records.slice(0, 1));
    expect(history.records(0)).toEqual([]);
    // What it hands out is a copy: changing it changes nothing kept.
    records[1].error!.message = 'changed';
    expect(history.records()[1].error!.message).toBe('a string');
  });

  it('keeps nothing with capacity 0', () => {
    const history = new JobHistory(0);
    history.ended({ id: '1', attempt: 1 }, 'succeeded', 1, 1, undefined);
    expect(history.records()).toEqual([]);
  });

  it('counts every outcome and the durations, nearest-rank', () => {
    const history = new JobHistory(100);
    for (let i = 1; i <= 20; i++) {
      history.ended(
        { id: String(i), attempt: 1 },
        i === 20 ? 'lost' : 'succeeded',
        i,
        i,
        undefined,
      );
    }
    expect(jobStats(history.records())).toEqual({
      jobs: 20,
      outcomes: { succeeded: 19, retried: 0, failed: 0, cancelled: 0, requeued: 0, lost: 1 },
      durationMs: { min: 1, avg: 10.5, p50: 10, p95: 19, max: 20 },
    });
    expect(jobStats([])).toEqual({
      jobs: 0,
      outcomes: { succeeded: 0, retried: 0, failed: 0, cancelled: 0, requeued: 0, lost: 0 },
    });
  });

  it('hands each end to every recorder given', () => {
    const a = new JobHistory(5);
    const b = new JobHistory(5);
    expect(jobRecorders(undefined, a)).toBe(a);
    expect(jobRecorders(undefined)).toBeUndefined();
    jobRecorders(a, undefined, b)!.ended({ id: '9', attempt: 3 }, 'cancelled', 1, 2, 'stop');
    expect(a.records()).toEqual(b.records());
    expect(a.records()).toHaveLength(1);
  });
});
