/**
 * The out-of-band migration runner on a manual clock and the in-memory store: the pace, the
 * end, errors and backoff (one migration failing never holds up another), reverse, timeouts,
 * a progress out of range, fencing by the lease epoch, and stopping on the signal.
 */
import { ManualClock } from '../../../lib/core/manual-clock';
import {
  InMemoryMigrationStore,
  MigrationFencedError,
  MigrationRunner,
  type MigrationContext,
  type MigrationDefinition,
  type MigrationEvent,
  type Migrator,
} from '../../../lib/migrations';
import { recordingLogger } from '../core/helpers';

const T0 = Date.UTC(2026, 11, 3);
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** A table of `rows` rows migrated `batch` at a time; `fail` makes `up` throw while it is set. */
class Rows implements Migrator {
  done = 0;
  batches: Array<{ at: number; direction: string; epoch: number }> = [];
  fail: string | undefined;
  constructor(
    private readonly clock: ManualClock,
    readonly rows = 100,
    readonly batch = 10,
  ) {}
  progress(): number {
    return this.done / this.rows;
  }
  up(_signal: AbortSignal, context: MigrationContext): void {
    if (this.fail) throw new Error(this.fail);
    this.batches.push({ at: this.clock.now(), direction: context.direction, epoch: context.epoch });
    this.done = Math.min(this.rows, this.done + this.batch);
  }
  down(_signal: AbortSignal, context: MigrationContext): void {
    this.batches.push({ at: this.clock.now(), direction: context.direction, epoch: context.epoch });
    this.done = Math.max(0, this.done - this.batch);
  }
}

/** When `up` was called, in ms from now on the manual clock. */
function triesOf(rows: Rows, clock: ManualClock): number[] {
  const t0 = clock.now();
  const tries: number[] = [];
  const up = rows.up.bind(rows);
  rows.up = (signal, context) => {
    tries.push(clock.now() - t0);
    return up(signal, context);
  };
  return tries;
}

function setup(
  clock: ManualClock,
  definitions: Array<Partial<MigrationDefinition> & { migrator: Migrator; id: string }>,
  maxBackoffMs = 60_000,
) {
  const store = new InMemoryMigrationStore(() => clock.wallNow());
  const events: MigrationEvent[] = [];
  const full = definitions.map((definition) => ({
    description: definition.id,
    intervalMs: 1000,
    nonDestructive: false,
    ...definition,
  }));
  const runner = new MigrationRunner(store, full, {
    clock,
    logger: quiet,
    onEvent: (event) => events.push(event),
    maxBackoffMs,
  });
  const controller = new AbortController();
  return {
    store,
    events,
    runner,
    controller,
    run: (epoch = 7) => runner.run(controller.signal, epoch),
  };
}

describe('MigrationRunner', () => {
  it('runs one batch per interval until progress is 1, then only measures', async () => {
    const clock = new ManualClock(T0);
    const rows = new Rows(clock);
    const { store, events, controller, run } = setup(clock, [{ id: 'fill', migrator: rows }]);
    const running = run();
    await clock.flush();
    expect(rows.batches).toHaveLength(1); // at once
    await clock.advance(999);
    expect(rows.batches).toHaveLength(1);
    await clock.advance(1);
    expect(rows.batches).toHaveLength(2);
    await clock.advance(8000);
    expect(rows.batches).toHaveLength(10);
    const start = rows.batches[0].at;
    expect(rows.batches.map((batch) => batch.at - start)).toEqual(
      [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000].slice(0, 10),
    );
    expect(rows.batches.every((batch) => batch.epoch === 7 && batch.direction === 'forward')).toBe(
      true,
    );
    expect(
      events.filter((e) => e.type === 'migration-batch-succeeded').map((e) => e.progress),
    ).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(events.filter((e) => e.type === 'migration-completed')).toHaveLength(1);
    const [stored] = await store.list();
    expect(stored).toMatchObject({ id: 'fill', progress: 1, reverse: false, epoch: 7 });
    expect(stored.samples.length).toBeGreaterThanOrEqual(10);
    await clock.advance(60_000);
    expect(rows.batches).toHaveLength(10);
    expect(events.filter((e) => e.type === 'migration-completed')).toHaveLength(1); // told once
    controller.abort();
    await running;
  });

  it('measures first: a migration with nothing to do runs no batch', async () => {
    const clock = new ManualClock(T0);
    const rows = new Rows(clock, 0);
    rows.progress = () => 1;
    const { controller, run, events } = setup(clock, [{ id: 'empty', migrator: rows }]);
    const running = run();
    await clock.flush();
    expect(rows.batches).toHaveLength(0);
    expect(events.map((e) => e.type)).toEqual(['migration-completed']);
    controller.abort();
    await running;
  });

  it('records a failing batch, backs off doubling, never holds up another migration, and resumes once fixed', async () => {
    const clock = new ManualClock(T0);
    const failing = new Rows(clock);
    const other = new Rows(clock);
    const { store, events, controller, run } = setup(
      clock,
      [
        { id: 'failing', migrator: failing },
        { id: 'other', migrator: other },
      ],
      8000,
    );
    failing.fail = 'disk full';
    const tries = triesOf(failing, clock);
    const running = run();
    await clock.advance(31_000);
    // Backoff: 1 s, 2 s, 4 s, then capped at 8 s.
    expect(tries).toEqual([0, 1000, 3000, 7000, 15_000, 23_000, 31_000]);
    expect(other.batches).toHaveLength(10); // one per second, done at 9 s
    const errors = await store.errors('failing');
    expect(errors).toHaveLength(7);
    expect(errors[0].message).toBe('disk full');
    expect(
      events.filter((e) => e.type === 'migration-batch-failed' && e.id === 'failing'),
    ).toHaveLength(7);
    failing.fail = undefined;
    await clock.advance(8000);
    expect(failing.batches).toHaveLength(1);
    await clock.advance(9000);
    expect(failing.batches).toHaveLength(10); // one per second again once it succeeds
    expect((await store.list()).map((m) => [m.id, m.progress])).toEqual([
      ['failing', 1],
      ['other', 1],
    ]);
    controller.abort();
    await running;
  });

  it('never retries a failing migration sooner than its own interval, whatever the backoff cap', async () => {
    const clock = new ManualClock(T0);
    const rows = new Rows(clock);
    rows.fail = 'lock timeout';
    const tries = triesOf(rows, clock);
    // A 5 min pace with the default 60 s cap: the cap must not make it retry every minute.
    const { controller, run } = setup(clock, [{ id: 'slow', migrator: rows, intervalMs: 300_000 }]);
    const running = run();
    await clock.advance(20 * 60_000);
    expect(tries).toEqual([0, 300_000, 600_000, 900_000, 1_200_000]);
    rows.fail = undefined;
    await clock.advance(300_000);
    expect(rows.batches).toHaveLength(1);
    controller.abort();
    await running;
  });

  it('keeps only the newest 100 errors', async () => {
    const clock = new ManualClock(T0);
    const rows = new Rows(clock);
    rows.fail = 'nope';
    let n = 0;
    const up = rows.up.bind(rows);
    rows.up = (signal, context) => {
      rows.fail = `failure ${++n}`;
      return up(signal, context);
    };
    const { store, controller, run } = setup(
      clock,
      [{ id: 'f', migrator: rows, intervalMs: 10 }],
      10,
    );
    const running = run();
    await clock.advance(10 * 149);
    expect(n).toBe(150);
    const errors = await store.errors('f');
    expect(errors).toHaveLength(100);
    expect(errors[0].message).toBe('failure 150');
    expect(errors[99].message).toBe('failure 51');
    controller.abort();
    await running;
  });

  it('runs down() in reverse until progress is 0, and records an error for a reverse without down()', async () => {
    const clock = new ManualClock(T0);
    const rows = new Rows(clock, 30, 10);
    rows.done = 30;
    const oneWay: Migrator = { progress: () => 1, up: () => undefined };
    const { store, events, controller, run } = setup(clock, [
      { id: 'rows', migrator: rows },
      { id: 'one-way', migrator: oneWay, nonDestructive: true },
    ]);
    await store.register('rows', 'rows', false);
    await store.register('one-way', 'one-way', true);
    await store.setDirection('rows', true);
    await store.setDirection('one-way', true);
    const running = run();
    await clock.advance(5000);
    expect(rows.batches.map((batch) => batch.direction)).toEqual(['reverse', 'reverse', 'reverse']);
    expect(rows.done).toBe(0);
    expect(events.find((e) => e.type === 'migration-completed' && e.id === 'rows')).toMatchObject({
      direction: 'reverse',
      progress: 0,
    });
    expect((await store.errors('one-way'))[0].message).toBe(
      'it is set to run in reverse but has no down()',
    );
    // Forward again: up() to 1.
    await store.setDirection('rows', false);
    await clock.advance(10_000);
    expect(rows.done).toBe(30);
    controller.abort();
    await running;
  });

  it('aborts a batch past its timeout and records it; a progress out of range is an error too', async () => {
    let aborted: unknown;
    const stuck: Migrator = {
      progress: () => 0,
      up: (signal) =>
        new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => {
            aborted = signal.reason;
            resolve();
          }),
        ),
    };
    const wrong: Migrator = { progress: () => 1.5, up: () => undefined };
    const clock = new ManualClock(T0);
    const { store, controller, run } = setup(clock, [
      { id: 'stuck', migrator: stuck, timeoutMs: 500 },
      { id: 'wrong', migrator: wrong },
    ]);
    const running = run();
    await clock.advance(500);
    expect((aborted as Error).name).toBe('MigrationTimeoutError');
    expect((await store.errors('stuck'))[0].message).toBe('up() ran past its timeout of 500 ms');
    expect((await store.errors('wrong'))[0].message).toBe(
      'progress() must give a number from 0 to 1, not 1.5',
    );
    controller.abort();
    await running;
  });

  it('stops with MigrationFencedError once a runner with a newer epoch has stored progress', async () => {
    const clock = new ManualClock(T0);
    const rows = new Rows(clock, 1000, 1);
    const { store, controller, run } = setup(clock, [{ id: 'fill', migrator: rows }]);
    const stale = run(7);
    const outcome = stale.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await clock.advance(2000);
    expect(rows.batches).toHaveLength(3);
    await store.setProgress('fill', 0.5, 8); // a newer runner took over
    await clock.advance(1000);
    expect(await outcome).toBeInstanceOf(MigrationFencedError);
    expect(rows.batches).toHaveLength(4); // the batch before the refused measure, then nothing
    await clock.advance(10_000);
    expect(rows.batches).toHaveLength(4);
    expect((await store.list())[0]).toMatchObject({ progress: 0.5, epoch: 8 });
    controller.abort();
  });

  it('goes on through an engine that fails: errors logged, retried with backoff, never rejecting', async () => {
    const clock = new ManualClock(T0);
    const rows = new Rows(clock);
    const { store, controller, run } = setup(clock, [{ id: 'fill', migrator: rows }]);
    let down = true;
    for (const method of ['register', 'list', 'setProgress', 'addError'] as const) {
      const real = store[method].bind(store) as (...args: unknown[]) => Promise<unknown>;
      (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) =>
        down ? Promise.reject(new Error('ECONNREFUSED')) : real(...args);
    }
    let settled = false;
    const running = run().finally(() => (settled = true));
    await clock.advance(30_000);
    expect(settled).toBe(false);
    expect(rows.batches).toHaveLength(0);
    down = false;
    await clock.advance(60_000);
    expect(rows.batches).toHaveLength(10);
    expect((await store.list())[0].progress).toBe(1);
    controller.abort();
    await running;
  });

  it('says an outage of its engine once, however long, and once when it answers again (every 2 s before)', async () => {
    const clock = new ManualClock(T0);
    const rows = new Rows(clock);
    const store = new InMemoryMigrationStore(() => clock.wallNow());
    let down = false;
    for (const method of ['register', 'list', 'setProgress', 'addError'] as const) {
      const real = store[method].bind(store) as (...args: unknown[]) => Promise<unknown>;
      (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) =>
        down ? Promise.reject(new Error('ECONNREFUSED')) : real(...args);
    }
    const logger = recordingLogger();
    const events: MigrationEvent[] = [];
    // Two migrations on one engine, retried every 2 s at most: before, each try warned.
    const runner = new MigrationRunner(
      store,
      [
        { id: 'fill', migrator: rows, intervalMs: 1000, nonDestructive: true, description: '' },
        {
          id: 'other',
          migrator: new Rows(clock, 1000),
          intervalMs: 1000,
          nonDestructive: true,
          description: '',
        },
      ],
      { clock, logger, maxBackoffMs: 2000, onEvent: (event) => events.push(event) },
    );
    const controller = new AbortController();
    const running = runner.run(controller.signal, 7);
    await clock.advance(2500);
    expect(rows.batches.length).toBeGreaterThan(0);
    down = true;
    await clock.advance(10 * 60_000); // ten minutes down
    const failed = events.filter((event) => event.type === 'migration-batch-failed').length;
    expect(failed).toBeGreaterThan(500); // tried every 2 s, each told as an event
    expect(logger.messages('warn')).toHaveLength(1);
    expect(logger.messages('warn')[0]).toMatch(
      /^the migration state coordinator failed \(out-of-band migration '(fill|other)': \w[\w ]*\): ECONNREFUSED\. .*further failures are counted, not logged$/,
    );
    expect(logger.messages('log').filter((line) => /answers again/.test(line))).toHaveLength(0);
    down = false;
    await clock.advance(3000);
    const back = logger.messages('log').filter((line) => /answers again/.test(line));
    expect(back).toHaveLength(1);
    expect(back[0]).toMatch(
      /^the migration state coordinator answers again, after \d+ failed call\(s\) over 10m/,
    );
    expect(logger.messages('warn')).toHaveLength(1);
    expect(await store.errors('fill')).toEqual([]); // the engine's outage is not the migration's error
    controller.abort();
    await running;
  });

  it('still warns at each failure of the migration itself, at its backoff', async () => {
    const clock = new ManualClock(T0);
    const rows = new Rows(clock);
    rows.fail = 'constraint violated';
    const logger = recordingLogger();
    const store = new InMemoryMigrationStore(() => clock.wallNow());
    const runner = new MigrationRunner(
      store,
      [{ id: 'fill', migrator: rows, intervalMs: 1000, nonDestructive: true, description: '' }],
      { clock, logger, maxBackoffMs: 4000 },
    );
    const controller = new AbortController();
    const running = runner.run(controller.signal, 7);
    await clock.advance(1000 + 2000 + 4000 + 4000 + 100); // tries at 0, 1, 3, 7, 11 s
    expect(logger.messages('warn')).toHaveLength(5);
    expect(logger.messages('warn')[4]).toMatch(/constraint violated; 5 failure\(s\) in a row/);
    expect((await store.errors('fill')).length).toBe(5);
    controller.abort();
    await running;
  });

  it('resolves once its signal aborts, and runs nothing after', async () => {
    const clock = new ManualClock(T0);
    const rows = new Rows(clock);
    const { controller, run } = setup(clock, [{ id: 'fill', migrator: rows }]);
    const running = run();
    await clock.advance(1000);
    controller.abort();
    await running;
    await clock.advance(10_000);
    expect(rows.batches).toHaveLength(2);
    expect(clock.pendingTimers).toBe(0);
  });
});
