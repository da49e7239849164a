import {
  actionFilter,
  jobCursor,
  listParameters,
  type QueryTarget,
} from '../../lib/worker/job-query';
import { jobSummary, type ListedRow } from '../../lib/worker/job-summary';

const queue: QueryTarget = {
  call: "queue 'emails' jobs",
  byQueue: true,
  idType: 'bigint',
  table: 'public.routines_jobs',
};
const uploads: QueryTarget = {
  call: 'PostgresWorkerTable(uploads).retry',
  byQueue: false,
  idType: 'uuid',
  table: 'uploads',
};

describe("an operator's job query", () => {
  it('reads a list query: states, search, cursor and one row more than the limit', () => {
    expect(listParameters(queue)).toEqual([null, null, null, null, null, null, 51]);
    const cursor = jobCursor('1700000000000000', '42');
    expect(
      listParameters(queue, {
        state: ['failed', 'failed', 'errored'],
        search: ' k1 ',
        limit: 10,
        before: cursor,
      }),
    ).toEqual([null, ['failed', 'errored'], 'k1', null, '1700000000000000', '42', 11]);
  });

  it('searches payloads by JSON or field=value, the value also as JSON', () => {
    expect(listParameters(queue, { search: 'n=42' })[3]).toEqual(['{"n":"42"}', '{"n":42}']);
    expect(listParameters(queue, { search: 'to=a@b' })[3]).toEqual(['{"to":"a@b"}']);
    expect(listParameters(queue, { search: '{"to":"a@b"}' })[3]).toEqual(['{"to":"a@b"}']);
  });

  it('refuses bad values naming the call, the option and the value', () => {
    expect(() => listParameters(queue, { limit: 0 })).toThrow(
      "queue 'emails' jobs: option 'limit' = 0 must be a whole number from 1 to 500",
    );
    expect(() => listParameters(queue, { state: 'done' as never })).toThrow(
      'option \'state\' = "done" is not a job state (queued, processing, errored, completed, failed, canceled)',
    );
    expect(() => listParameters(queue, { before: 'x' })).toThrow(
      'option \'before\' = "x" is not a cursor',
    );
    expect(() => listParameters(queue, { search: '{"to":' })).toThrow('is not a JSON object');
    expect(() => listParameters({ ...uploads, call: 'x' }, { search: 'a=b' })).toThrow(
      'search by id',
    );
  });

  it('refuses an action filter with nothing in it, ids and a state at once, and ids of another type', () => {
    expect(() => actionFilter(uploads, {} as never)).toThrow('never means "every row"');
    expect(() => actionFilter(uploads, { state: [] })).toThrow('never means "every row"');
    expect(() => actionFilter(uploads, { search: 'x' } as never)).toThrow('needs a state');
    expect(() => actionFilter(uploads, { ids: ['1'], state: 'failed' } as never)).toThrow(
      'give one',
    );
    expect(() => actionFilter(uploads, { ids: ['42'] })).toThrow("id column's type (uuid)");
    const id = '0b7e7c6e-1c1a-4d6b-9a55-4f1d2c3b4a59';
    expect(actionFilter(uploads, { ids: [id, id] })).toEqual([[id], null, null, null]);
    expect(actionFilter(queue, { state: 'failed', search: 'to=a' })).toEqual([
      null,
      ['failed'],
      null,
      ['{"to":"a"}'],
    ]);
  });
});

describe('a listed job', () => {
  const row: ListedRow = {
    id: '7',
    state: 'errored',
    num_failures: 2,
    num_resets: 1,
    queued_at: new Date(1000),
    started_at: new Date(2000),
    finished_at: new Date(3000),
    process_after: new Date(4000),
    error: 'boom',
    cancel: false,
    cursor: '1000000',
    key: null,
    payload: '{"a":1}',
    payload_bytes: 7,
  };

  it('counts attempts, shows runAfter only while waiting, and leaves out what is absent', () => {
    expect(jobSummary(row)).toEqual({
      id: '7',
      state: 'errored',
      attempts: 3,
      queuedAt: 1000,
      startedAt: 2000,
      finishedAt: 3000,
      runAfter: 4000,
      error: 'boom',
      payload: { a: 1 },
      cancel: false,
    });
    expect(jobSummary({ ...row, state: 'completed' })).toEqual(
      expect.not.objectContaining({ runAfter: expect.anything() }),
    );
    expect(jobSummary({ ...row, state: 'completed' }).attempts).toBe(4);
  });

  it('cuts a large payload and marks it', () => {
    const json = JSON.stringify({ blob: 'é'.repeat(6000) });
    const bytes = Buffer.byteLength(json);
    const payload = jobSummary({ ...row, payload: json.slice(0, 8192), payload_bytes: bytes })
      .payload as string;
    expect(Buffer.byteLength(payload.replace(/… \[cut: \d+ bytes\]$/, ''))).toBeLessThanOrEqual(
      8192,
    );
    expect(payload).toMatch(/… \[cut: \d+ bytes\]$/);
    const kept = payload.replace(/… \[cut: (\d+) bytes\]$/, '');
    expect(Number(/cut: (\d+)/.exec(payload)![1])).toBe(bytes - Buffer.byteLength(kept));
  });
});
