/**
 * DbWorker's promises under faults, on a ManualClock and an in-memory table: each row held as
 * the core's one holder discipline holds a lease (aborted before another worker may reset it),
 * `holdsRow()` and the per-dequeue `token`, handlers that ignore their signal, stop while a
 * dequeue is in flight, hostile thrown values, and the options refused.
 */
import { ManualClock } from '../../../lib/core/manual-clock';
import { RoutinesConfigurationError } from '../../../lib/core/errors';
import {
  DbWorker,
  NonRetryableError,
  type DbWorkerOptions,
  type JobContext,
  type JobHandler,
} from '../../../lib/worker';
import { FakeTable, Gate } from './fake-table';

interface Logged {
  level: 'log' | 'warn' | 'error';
  message: string;
}

function setup(options: Partial<DbWorkerOptions> = {}) {
  const clock = new ManualClock(1_000_000);
  const table = new FakeTable(clock);
  const logs: Logged[] = [];
  const logger = {
    log: (message: string) => logs.push({ level: 'log', message }),
    warn: (message: string) => logs.push({ level: 'warn', message }),
    error: (message: string) => logs.push({ level: 'error', message }),
  };
  const workers: DbWorker<{ id: string }>[] = [];
  const start = (handler: JobHandler<{ id: string }>, more: Partial<DbWorkerOptions> = {}) => {
    const worker = new DbWorker(table.asTable, handler, {
      name: 'uploads',
      pollIntervalMs: 100,
      heartbeatMs: 1000,
      stalledAfterMs: 3000,
      resetStalled: false,
      backoff: { initialMs: 10, maxMs: 10 },
      clock,
      logger,
      ...options,
      ...more,
    });
    workers.push(worker);
    worker.start();
    return worker;
  };
  return { clock, table, logs, start, workers };
}

/** A handler that never settles and ignores its signal; records each context it got. */
function ignoring(contexts: JobContext[]): JobHandler<{ id: string }> {
  return (_row, job) => {
    contexts.push(job);
    return new Promise<void>(() => undefined);
  };
}

describe('DbWorker: each running row is held (one holder discipline)', () => {
  it('aborts a row whose heartbeats fail at two thirds of stalledAfter, before anyone may reset it, and warns once per outage', async () => {
    const { clock, table, logs, start } = setup();
    table.add(2);
    const contexts: JobContext[] = [];
    start(ignoring(contexts), { concurrency: 2 });
    await clock.advance(0);
    expect(contexts).toHaveLength(2);
    const dequeuedAt = clock.now();
    table.failing.add('heartbeat');
    await clock.advance(1999);
    expect(contexts.every((job) => job.holdsRow() && !job.signal.aborted)).toBe(true);
    await clock.advance(1);
    // The renew deadline: 2 s after the dequeue was sent (two thirds of 3 s).
    expect(clock.now() - dequeuedAt).toBe(2000);
    for (const job of contexts) {
      expect(job.holdsRow()).toBe(false);
      expect(job.signal.aborted).toBe(true);
      expect((job.signal.reason as Error).name).toBe('JobLost');
      expect((job.signal.reason as Error).message).toMatch(/could not renew its heartbeat/);
    }
    // Nothing written: the row is still processing under the old claim, and no other worker may
    // reset it until stalledAfter (3 s) has passed since its last heartbeat.
    expect(table.row('1').state).toBe('processing');
    expect(await table.resetStalled(3000, 3)).toEqual({ reset: 0, failed: 0 });
    await clock.advance(5000);
    const failures = logs.filter((log) => /heartbeat failed/.test(log.message));
    expect(failures).toHaveLength(1);
    expect(failures[0].message).toContain("worker 'uploads'");
    table.failing.delete('heartbeat');
    table.add(1);
    await clock.advance(2000);
    expect(logs.some((log) => /answers again/.test(log.message))).toBe(true);
  });

  it('renews each row from the send time of each heartbeat that answered', async () => {
    const { clock, table, start } = setup();
    table.add(1);
    const contexts: JobContext[] = [];
    start(ignoring(contexts));
    await clock.advance(0);
    await clock.advance(10_000); // ten heartbeats answered
    expect(contexts[0].holdsRow()).toBe(true);
    expect(contexts[0].signal.aborted).toBe(false);
    // A heartbeat that hangs: the row is given up 2 s after the last one that answered was sent.
    table.gates.heartbeat = new Gate();
    const lastSent = Math.floor(clock.now() / 1000) * 1000;
    await clock.advance(1999 - (clock.now() - lastSent));
    expect(contexts[0].holdsRow()).toBe(true);
    await clock.advance(1);
    expect(contexts[0].signal.aborted).toBe(true);
    table.gates.heartbeat.open();
  });

  it('reads holdsRow() false synchronously after a pause past the deadline (SIGSTOP), before any timer ran', async () => {
    const { clock, table, start } = setup();
    table.add(1);
    const contexts: JobContext[] = [];
    start(ignoring(contexts));
    await clock.advance(500);
    expect(contexts[0].holdsRow()).toBe(true);
    clock.jump(2500); // no timer fired: the process was stopped
    expect(contexts[0].holdsRow()).toBe(false);
    expect(contexts[0].signal.aborted).toBe(false); // the abort comes when the timers run
    await clock.advance(0);
    expect(contexts[0].signal.aborted).toBe(true);
  });

  it('aborts a row the heartbeat says is no longer ours, at once', async () => {
    const { clock, table, start } = setup();
    table.add(1);
    const contexts: JobContext[] = [];
    start(ignoring(contexts));
    await clock.advance(0);
    table.resetNow('1');
    await clock.advance(1000);
    expect(contexts[0].signal.aborted).toBe(true);
    expect(contexts[0].holdsRow()).toBe(false);
    expect((contexts[0].signal.reason as Error).message).toMatch(/no longer ours/);
  });

  it('hands back, without starting them, rows of a dequeue that answered past the renew deadline', async () => {
    const { clock, table, start } = setup();
    table.add(1);
    const gate = new Gate();
    table.gates.dequeue = gate;
    const handler = jest.fn();
    start(handler);
    await clock.advance(2500);
    delete table.gates.dequeue;
    gate.open(); // the dequeue sent at 0 answers 2.5 s later, past its 2 s renew deadline
    await clock.advance(0);
    expect(handler).not.toHaveBeenCalled();
    expect(table.row('1')).toEqual(expect.objectContaining({ state: 'queued', numFailures: 0 }));
  });
});

describe('DbWorker: the claim token is new for every dequeue', () => {
  it("fences the old attempt's completion when the same worker dequeues its own row again after a reset", async () => {
    const { clock, table, start } = setup({ concurrency: 2 });
    table.add(1);
    const first = new Gate();
    const seen: JobContext[] = [];
    const worker = start(async (_row, job) => {
      seen.push(job);
      if (seen.length === 1) await first.promise;
    });
    await clock.advance(0);
    expect(seen).toHaveLength(1);
    table.resetNow('1'); // reset while its first attempt still runs, before any heartbeat
    worker.notify();
    await clock.advance(0);
    expect(seen).toHaveLength(2);
    expect(seen[1].token).not.toBe(seen[0].token);
    // The second attempt completed: the row is done, by its claim.
    await clock.advance(0);
    expect(table.row('1')).toEqual(
      expect.objectContaining({ state: 'completed', endedBy: seen[1].token }),
    );
    first.open();
    await clock.advance(0);
    expect(table.row('1').endedBy).toBe(seen[1].token);
  });

  it('refuses the old attempt when the new one still runs', async () => {
    const { clock, table, start } = setup({ concurrency: 2 });
    table.add(1);
    const gates = [new Gate(), new Gate()];
    const seen: JobContext[] = [];
    const worker = start(async (_row, job) => {
      const gate = gates[seen.length];
      seen.push(job);
      await gate.promise;
    });
    await clock.advance(0);
    table.resetNow('1');
    worker.notify();
    await clock.advance(0);
    expect(seen).toHaveLength(2);
    gates[0].open(); // the old attempt ends first: its completion must not pass the fence
    await clock.advance(0);
    expect(table.row('1').state).toBe('processing');
    expect(table.row('1').claim).toBe(seen[1].token);
    // The next heartbeat keeps the new attempt and knows the old one is gone.
    await clock.advance(1000);
    expect(seen[1].holdsRow()).toBe(true);
    gates[1].open();
    await clock.advance(0);
    expect(table.row('1')).toEqual(
      expect.objectContaining({ state: 'completed', endedBy: seen[1].token }),
    );
  });
});

describe('DbWorker: a handler that ignores its signal', () => {
  it('writes its row as a timeout at the timeout, starts the next rows, names it stuck, and holds at most concurrency more', async () => {
    const { clock, table, logs, start } = setup();
    table.add(4);
    const contexts: JobContext[] = [];
    const worker = start(ignoring(contexts), { timeoutMs: 1000, maxAttempts: 1 });
    await clock.advance(0);
    expect(contexts.map((job) => job.id)).toEqual(['1']);
    await clock.advance(1000);
    expect(table.row('1')).toEqual(
      expect.objectContaining({ state: 'failed', failureMessage: 'timed out after 1000 ms' }),
    );
    expect(contexts[0].holdsRow()).toBe(false);
    await clock.advance(100);
    expect(contexts.map((job) => job.id)).toEqual(['1', '2']);
    expect(worker.inFlight).toBe(2);
    await clock.advance(1000);
    expect(worker.stuck.map((job) => job.id)).toEqual(['1', '2']);
    expect(
      logs.some((log) => log.level === 'warn' && /job 1 \(attempt 1\) is stuck/.test(log.message)),
    ).toBe(true);
    // Two stuck handlers with concurrency 1: nothing more is dequeued until one settles.
    await clock.advance(5000);
    expect(contexts.map((job) => job.id)).toEqual(['1', '2']);
    expect(table.row('3').state).toBe('queued');
    expect(logs.some((log) => /no row is dequeued until some settle/.test(log.message))).toBe(true);
  });

  it('stop(grace) returns after its grace with the unsettled rows handed back', async () => {
    const { clock, table, start } = setup();
    table.add(2);
    const contexts: JobContext[] = [];
    const worker = start(ignoring(contexts), { concurrency: 2 });
    await clock.advance(0);
    let stopped = false;
    void worker.stop(500).then(() => (stopped = true));
    await clock.advance(499);
    expect(stopped).toBe(false);
    expect(contexts.every((job) => job.holdsRow())).toBe(true);
    await clock.advance(1);
    expect(stopped).toBe(true);
    expect(contexts.every((job) => job.signal.aborted && !job.holdsRow())).toBe(true);
    expect([table.row('1').state, table.row('2').state]).toEqual(['queued', 'queued']);
    expect(table.row('1').numFailures).toBe(0);
  });

  it('stop(grace) returns even when the hand-back write hangs', async () => {
    const { clock, table, start } = setup();
    table.add(1);
    const worker = start(ignoring([]));
    await clock.advance(0);
    table.gates.requeue = new Gate();
    let stopped = false;
    void worker.stop(500).then(() => (stopped = true));
    await clock.advance(1500);
    expect(stopped).toBe(true);
  });
});

describe('DbWorker: stop while a dequeue is in flight', () => {
  it('hands back the rows that dequeue returns after stop began, and starts none', async () => {
    const { clock, table, start } = setup();
    table.add(1);
    table.gates.dequeue = new Gate();
    const handler = jest.fn();
    const worker = start(handler);
    await clock.advance(0);
    let stopped = false;
    void worker.stop(1000).then(() => (stopped = true));
    await clock.advance(10);
    expect(stopped).toBe(false);
    table.gates.dequeue.open();
    await clock.advance(0);
    expect(stopped).toBe(true);
    expect(handler).not.toHaveBeenCalled();
    expect(table.row('1')).toEqual(expect.objectContaining({ state: 'queued', numFailures: 0 }));
    expect(worker.inFlight).toBe(0);
  });

  it('returns within its grace when the dequeue never answers', async () => {
    const { clock, table, start } = setup();
    table.gates.dequeue = new Gate();
    const worker = start(jest.fn());
    await clock.advance(0);
    let stopped = false;
    void worker.stop(300).then(() => (stopped = true));
    await clock.advance(1300);
    expect(stopped).toBe(true);
  });
});

describe('DbWorker: hostile thrown values and large messages', () => {
  it('retries a thrown Proxy whose getPrototypeOf trap throws, failing it after maxAttempts, never as stalled', async () => {
    const { clock, table, logs, start } = setup();
    table.add(1);
    let calls = 0;
    start(
      () => {
        calls++;
        throw new Proxy(
          {},
          {
            getPrototypeOf() {
              throw new Error('trap');
            },
            get() {
              throw new Error('trap');
            },
          },
        );
      },
      { maxAttempts: 2 },
    );
    await clock.advance(200);
    expect(calls).toBe(2);
    expect(table.row('1')).toEqual(expect.objectContaining({ state: 'failed', numFailures: 2 }));
    expect(logs.filter((log) => log.level === 'error')).toEqual([]);
  });

  it('still fails a NonRetryableError at once', async () => {
    const { clock, table, start } = setup();
    table.add(1);
    start(() => {
      throw new NonRetryableError('bad input');
    });
    await clock.advance(0);
    expect(table.row('1')).toEqual(
      expect.objectContaining({ state: 'failed', numFailures: 1, failureMessage: 'bad input' }),
    );
  });

  it('stores at most 8 KB of a 5 MB error message, marked as cut', async () => {
    const { clock, table, start } = setup();
    table.add(1);
    start(() => {
      throw new Error('é'.repeat(2_500_000));
    });
    await clock.advance(0);
    const message = table.row('1').failureMessage!;
    expect(message).toMatch(/… \[cut: \d+ bytes\]$/);
    const kept = message.replace(/… \[cut: \d+ bytes\]$/, '');
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(8192);
    expect(Number(/cut: (\d+) bytes/.exec(message)![1]) + Buffer.byteLength(kept)).toBe(5_000_000);
    expect(kept).not.toContain('\uFFFD');
  });
});

describe('DbWorker: options refused, naming the worker, the option and the value', () => {
  const table = new FakeTable(new ManualClock()).asTable;
  const make = (options: Partial<DbWorkerOptions>) => () =>
    new DbWorker(table, () => undefined, { name: 'uploads', ...options });

  it('refuses a heartbeat not under two thirds of stalledAfter', () => {
    expect(make({ heartbeatMs: 2000, stalledAfterMs: 3000 })).toThrow(RoutinesConfigurationError);
    expect(make({ heartbeatMs: 2000, stalledAfterMs: 3000 })).toThrow(
      /DbWorker.*'uploads'.*heartbeatMs.*2000.*two thirds of stalledAfterMs/,
    );
    expect(make({ heartbeatMs: 1999, stalledAfterMs: 3000 })).not.toThrow();
  });

  it.each([
    ['timeoutMs', 0],
    ['timeoutMs', -1],
    ['timeoutMs', Number.NaN],
    ['pollIntervalMs', Number.POSITIVE_INFINITY],
    ['heartbeatMs', 2 ** 31],
    ['stalledAfterMs', '30s'],
    ['concurrency', 0],
    ['concurrency', 1.5],
    ['maxAttempts', 0],
    ['maxResets', -1],
  ])('refuses %s = %p', (option, value) => {
    const attempt = make({ [option]: value });
    expect(attempt).toThrow(RoutinesConfigurationError);
    expect(attempt).toThrow(new RegExp(`'uploads'.*${option}`));
  });

  it('runs a timeout longer than 2^31-1 ms without firing it at once', async () => {
    const fake = new FakeTable(new ManualClock());
    fake.add(1);
    let job: JobContext | undefined;
    const worker = new DbWorker(
      fake.asTable,
      (_row, context) => {
        job = context;
        return new Promise<void>(() => undefined);
      },
      {
        name: 'uploads',
        timeoutMs: 2 ** 31 + 5,
        pollIntervalMs: 10,
        logger: { log() {}, warn() {}, error() {} },
      },
    );
    worker.start();
    // Waits for the job by a deadline (a hang guard), not for 50 polls: on a busy machine the
    // first poll can take longer than those 250 ms.
    const deadline = Date.now() + 10_000;
    while (!job && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(job).toBeDefined();
    // Node fires a delay over 2^31-1 ms after 1 ms: that timer, set before this one, would
    // fire first however late the two come due.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(job?.signal.aborted).toBe(false);
    await worker.stop(10);
  });
});
