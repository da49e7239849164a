/**
 * The writer of the engine's run history: runs go in batches (by time or by count), off the
 * runs' path; while the engine does not answer they wait in a bounded buffer (the oldest
 * dropped and counted), the outage is said once; what is left is sent on shutdown; one replica
 * prunes per period.
 */
import { InMemoryRunHistory } from '../../../lib/cluster/in-memory-run-history';
import {
  InMemoryCoordinator,
  ManualClock,
  type RunHistoryBounds,
  type RunHistoryQuery,
  type RunHistoryStore,
  type StoredRun,
} from '../../../lib/core';
import {
  EngineRunRecorder,
  MESSAGE_CAP,
  STACK_CAP,
} from '../../../lib/observability/engine-run-recorder';
import {
  HistoryWriter,
  PRUNE_CLAIM,
  type HistoryWriterSettings,
} from '../../../lib/observability/history-writer';
import { RunHistory } from '../../../lib/observability';
import { recordingLogger } from '../core/helpers';

const T0 = Date.UTC(2026, 11, 7, 12);

const SETTINGS: HistoryWriterSettings = {
  flushEveryMs: 1_000,
  batchSize: 5,
  maxBuffered: 8,
  keepForMs: 7 * 86_400_000,
  keepRuns: 10_000,
  keepHoursForMs: 7 * 86_400_000,
  keepDaysForMs: 90 * 86_400_000,
  pruneEveryMs: 60_000,
  callTimeoutMs: 5_000,
};

/** The in-memory store, with a switch that makes the engine refuse every call, and the batches it took. */
class SwitchableStore implements RunHistoryStore {
  readonly store = new InMemoryRunHistory();
  down = false;
  readonly batches: number[] = [];
  readonly prunes: RunHistoryBounds[] = [];

  async append(runs: readonly StoredRun[], keepRuns?: number): Promise<void> {
    if (this.down) throw new Error('ECONNREFUSED');
    this.batches.push(runs.length);
    await this.store.append(runs, keepRuns);
  }
  read(routine: string, query: RunHistoryQuery): Promise<StoredRun[]> {
    return this.store.read(routine, query);
  }
  stats: RunHistoryStore['stats'] = (routine, query) => this.store.stats(routine, query);
  async prune(bounds: RunHistoryBounds): Promise<void> {
    this.prunes.push(bounds);
    await this.store.prune(bounds);
  }
}

function setup(settings: Partial<HistoryWriterSettings> = {}) {
  const clock = new ManualClock(T0);
  const coordinator = new InMemoryCoordinator(clock);
  const engine = new SwitchableStore();
  const logger = recordingLogger();
  const writer = new HistoryWriter(coordinator, engine, 'host:1:a', clock, logger, {
    ...SETTINGS,
    ...settings,
  });
  return { clock, coordinator, engine, logger, writer };
}

function run(i: number): StoredRun {
  return {
    routine: 'r',
    replica: 'host:1:a',
    at: T0 + i,
    status: 'succeeded',
    dueAt: T0 + i,
    id: i,
  };
}

async function stored(engine: SwitchableStore): Promise<number[]> {
  return (await engine.read('r', { limit: 100 })).map((r) => r.id!).reverse();
}

describe('HistoryWriter', () => {
  it('sends the runs of a second in one batch, after the second, never at the run', async () => {
    const { clock, engine, writer } = setup();
    for (let i = 0; i < 3; i++) writer.push(run(i));
    expect(engine.batches).toEqual([]);
    await clock.advance(999);
    expect(engine.batches).toEqual([]);
    await clock.advance(1);
    expect(engine.batches).toEqual([3]);
    expect(await stored(engine)).toEqual([0, 1, 2]);
  });

  it('sends a batch as soon as it holds batchSize runs', async () => {
    const { clock, engine, writer } = setup();
    for (let i = 0; i < 7; i++) writer.push(run(i));
    await clock.advance(0);
    expect(engine.batches).toEqual([5, 2]);
  });

  it('holds at most maxBuffered runs while the engine is down, drops the oldest, and says the outage once', async () => {
    const { clock, engine, logger, writer } = setup();
    engine.down = true;
    for (let i = 0; i < 20; i++) {
      writer.push(run(i));
      await clock.advance(1_000);
    }
    expect(writer.pending).toBe(8);
    expect(writer.dropped).toBe(12);
    expect(logger.messages('warn')).toHaveLength(1);
    expect(logger.messages('warn')[0]).toContain('the memory coordinator failed (history)');
    engine.down = false;
    await clock.advance(1_000);
    expect(await stored(engine)).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
    expect(logger.messages('log')).toEqual([
      expect.stringContaining('the memory coordinator answers again'),
    ]);
    expect(logger.messages('warn')[1]).toContain(
      '12 run(s) recorded while the memory coordinator did not answer were dropped',
    );
    // A second outage is said again, once.
    engine.down = true;
    for (let i = 20; i < 25; i++) {
      writer.push(run(i));
      await clock.advance(1_000);
    }
    expect(logger.messages('warn')).toHaveLength(3);
  });

  it('tries again once a flush period after a failure, however many runs come meanwhile', async () => {
    const { clock, engine, writer } = setup({ maxBuffered: 100 });
    let tries = 0;
    const append = engine.append.bind(engine);
    engine.append = (runs, keep) => {
      tries++;
      return append(runs, keep);
    };
    engine.down = true;
    for (let i = 0; i < 5; i++) writer.push(run(i));
    await clock.advance(0);
    expect(tries).toBe(1);
    for (let i = 5; i < 50; i++) writer.push(run(i));
    await clock.advance(999);
    expect(tries).toBe(1);
    engine.down = false;
    await clock.advance(1);
    expect(tries).toBe(1 + 10);
    expect(writer.pending).toBe(0);
  });

  it('sends what is left on close, and takes no run after it', async () => {
    const { engine, writer } = setup();
    writer.push(run(0));
    writer.push(run(1));
    await writer.close(1_000);
    expect(await stored(engine)).toEqual([0, 1]);
    writer.push(run(2));
    expect(writer.pending).toBe(0);
  });

  it('gives up the flush on close at its deadline, when the engine hangs', async () => {
    const { clock, engine, writer } = setup();
    engine.append = () => new Promise(() => undefined);
    writer.push(run(0));
    const closed = writer.close(500);
    await clock.advance(500);
    await expect(closed).resolves.toBeUndefined();
  });

  it('prunes once per period for the cluster: one replica claims the period', async () => {
    const { clock, coordinator, engine, logger } = setup();
    const other = new HistoryWriter(coordinator, engine, 'host:2:b', clock, logger, SETTINGS);
    const first = new HistoryWriter(coordinator, engine, 'host:1:a', clock, logger, SETTINGS);
    first.push(run(0));
    other.push({ ...run(1), replica: 'host:2:b' });
    await clock.advance(1_000);
    expect(engine.prunes).toHaveLength(1);
    expect(engine.prunes[0]).toEqual({
      runsBefore: clock.wallNow() - SETTINGS.keepForMs,
      runsPerRoutine: SETTINGS.keepRuns,
      hoursBefore: expect.any(Number),
      daysBefore: expect.any(Number),
    });
    // The same period: no prune; the next one: one more.
    first.push(run(2));
    await clock.advance(1_000);
    expect(engine.prunes).toHaveLength(1);
    await clock.advance(60_000);
    first.push(run(3));
    other.push({ ...run(4), replica: 'host:2:b' });
    await clock.advance(1_000);
    expect(engine.prunes).toHaveLength(2);
    expect(
      await coordinator.claimSlot(
        PRUNE_CLAIM,
        Math.floor(clock.wallNow() / 60_000) * 60_000,
        60_000,
      ),
    ).toBe(false);
  });
});

describe('EngineRunRecorder', () => {
  it('passes each run to the ring and hands a record to the writer, with the replica and capped error', async () => {
    const { clock, engine, writer } = setup();
    const ring = new RunHistory(10);
    const recorder = new EngineRunRecorder('r', writer, clock, ring, true);
    const error = new Error('x'.repeat(5_000));
    error.stack = 'y'.repeat(20_000);
    recorder.ran(1, 'failed', T0, true, clock.now(), clock.now() + 40, error, 3);
    recorder.restartScheduled(250);
    recorder.skipped(T0 + 60_000, true, 'busy', clock.now() + 10);
    // Another replica's run, which that replica records: kept in the ring only.
    recorder.skipped(T0 + 120_000, true, 'claimed', clock.now() + 20);
    expect(ring.records(clock).map((r) => r.reason ?? r.status)).toEqual([
      'claimed',
      'busy',
      'failed',
    ]);
    await clock.advance(1_000);
    const [skipped, failed] = await engine.read('r', { limit: 10 });
    expect(skipped).toEqual({
      routine: 'r',
      replica: 'host:1:a',
      at: T0 + 10,
      status: 'skipped',
      reason: 'busy',
      dueAt: T0 + 60_000,
    });
    expect(failed).toMatchObject({
      id: 1,
      status: 'failed',
      dueAt: T0,
      slot: T0,
      epoch: 3,
      durationMs: 40,
      restartDelayMs: 250,
      replica: 'host:1:a',
    });
    expect(failed.error!.message).toHaveLength(MESSAGE_CAP);
    expect(failed.error!.stack).toHaveLength(STACK_CAP);
  });
});
