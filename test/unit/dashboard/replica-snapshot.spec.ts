import { buildList } from '../../../lib/dashboard/dashboard-model';
import {
  MAX_TEXT,
  replicaRoutine as published,
  snapshotText,
  type ReplicaRoutine,
  type ReplicaSnapshot,
} from '../../../lib/dashboard/replica-snapshot';
import { readSnapshot } from '../../../lib/dashboard/replica-snapshot-reader';
import type { RegisteredRoutineInfo } from '../../../lib/nest/interfaces/registered-routine.interface';
import { localRoutine, replicaRoutine, snapshot, T0 } from './replica-fixtures';

const XSS = '<img src=x onerror=alert(1)>';

/** Every value in `value`, recursively, that is not a string, number, boolean or null (undefined: JSON leaves it out). */
function leaves(value: unknown, path = '$'): Array<[string, string]> {
  if (value == null || ['string', 'number', 'boolean'].includes(typeof value)) return [];
  if (typeof value !== 'object') return [[path, typeof value]];
  return Object.entries(value as object).flatMap(([key, inner]) => leaves(inner, `${path}.${key}`));
}

describe('readSnapshot: another replica is untrusted input', () => {
  const hostile = {
    id: 'evil:1:1',
    host: { toString: XSS },
    pid: XSS,
    startedAt: '2026-01-01',
    publishedAt: T0,
    publishEvery: -1,
    version: ['v1'],
    routines: [
      {
        name: 'counters-as-strings',
        kind: 'periodic',
        scope: 'instance',
        state: 'running',
        inFlight: '2',
        counters: {
          runs: '5',
          succeeded: Infinity,
          failures: -1,
          skipped: 1.5,
          restarts: { $gt: 0 },
        },
        health: { late: 'yes', slow: 1, consecutiveFailures: '3' },
        lastError: { at: T0, message: 'x'.repeat(5_000) },
        lastRun: { status: '<script>', dueAt: T0 },
        cluster: { role: 'leader', epoch: XSS, lastClaim: { slot: 'one', outcome: 'won', at: T0 } },
        description: { nested: { deeper: XSS } },
        schedule: ['every 1m'],
        nextRunAt: Infinity,
        extra: { __proto__: { polluted: true } },
      },
      { name: XSS, kind: 'periodic', scope: 'instance', state: 'running' }, // a bad name is still a name
      { name: 'bad-kind', kind: 'cron', scope: 'instance', state: 'running' },
      { name: 'bad-state', kind: 'periodic', scope: 'instance', state: XSS },
      { name: 'x'.repeat(201), kind: 'periodic', scope: 'instance', state: 'running' },
      'not-a-routine',
      null,
      { name: 'counters-as-strings', kind: 'periodic', scope: 'instance', state: 'paused' },
    ],
  };
  const { snapshot: read, invalid } = readSnapshot(JSON.stringify(hostile));

  it('keeps only the expected primitives, with defaults for what was invalid', () => {
    expect(read).toBeDefined();
    expect(leaves(read)).toEqual([]);
    expect(read).toMatchObject({ id: 'evil:1:1', host: '', pid: 0, startedAt: 0 });
    expect(read!.publishEvery).toBe(5_000);
    expect(read!.version).toBeUndefined();
    const [routine] = read!.routines;
    expect(routine).toEqual({
      name: 'counters-as-strings',
      kind: 'periodic',
      scope: 'instance',
      state: 'running',
      inFlight: 0,
      counters: { runs: 0, succeeded: 0, failures: 0, cancelled: 0, skipped: 0, restarts: 0 },
      health: { late: false, slow: false, consecutiveFailures: 0 },
      lastError: { at: T0, message: `${'x'.repeat(MAX_TEXT - 1)}…` },
      cluster: { role: 'leader', epoch: 0 },
    });
  });

  it('skips routines without a valid name, kind or state, and a name listed twice', () => {
    expect(read!.routines.map((routine) => routine.name)).toEqual(['counters-as-strings', XSS]);
  });

  it('counts every invalid entry', () => {
    // Identity: host, pid, startedAt, publishEvery, version (5). The first routine: inFlight,
    // 5 counters, 3 health fields, lastRun, epoch, lastClaim, description, schedule,
    // nextRunAt (15). Routines skipped: 6.
    expect(invalid).toBe(26);
  });

  it('is no snapshot without an id or routines, or when not JSON', () => {
    expect(readSnapshot('{')).toEqual({ invalid: 1 });
    expect(readSnapshot('[]')).toEqual({ invalid: 1 });
    expect(readSnapshot(JSON.stringify({ id: 7, routines: [] }))).toEqual({ invalid: 1 });
    expect(readSnapshot(JSON.stringify({ id: 'a', routines: {} }))).toEqual({ invalid: 1 });
  });

  it('reads a snapshot of the previous version (no publishEvery, full counters) as valid', () => {
    const previous = snapshot('a', 1, [replicaRoutine('r')]) as Partial<ReplicaSnapshot>;
    delete previous.publishEvery;
    expect(readSnapshot(JSON.stringify(previous))).toEqual({
      snapshot: { ...previous, publishEvery: 5_000 },
      invalid: 0,
    });
  });

  it('gives the page nothing but primitives from a hostile replica', () => {
    const here = snapshot('here', 1, []);
    const body = buildList([], { replicas: [here, read!] }, new Map(), true, false, T0);
    expect(leaves(body)).toEqual([]);
    expect(body.replicas[1].pid).toBe(0);
  });
});

describe('snapshotText: what a replica publishes', () => {
  it('cuts a long error message and description', () => {
    const routine = published(
      localRoutine('r', {
        description: 'd'.repeat(2_000),
        lastError: { at: T0, message: 'e'.repeat(5_000) },
      }),
    );
    expect(routine.lastError!.message).toHaveLength(MAX_TEXT);
    expect(routine.lastError!.message.endsWith('…')).toBe(true);
    expect(routine.description).toHaveLength(MAX_TEXT);
  });

  it('reads back exactly what was published, defaults left out and restored', () => {
    const routines = thousandRoutines().map(published);
    const written = snapshot('a', 1, routines);
    const { snapshot: read, invalid } = readSnapshot(snapshotText(written));
    expect(invalid).toBe(0);
    // JSON drops undefined fields: compare with the full snapshot as JSON gives it.
    expect(read).toEqual(JSON.parse(JSON.stringify(written)));
  });

  it('keeps what a replica of the previous version reads without defaults (a rolling upgrade)', () => {
    const text = snapshotText(snapshot('a', 1, [published(localRoutine('r'))]));
    const [routine] = (JSON.parse(text) as { routines: Array<Record<string, unknown>> }).routines;
    expect(routine).toMatchObject({
      name: 'r',
      kind: 'periodic',
      scope: 'instance',
      state: 'running',
      counters: {},
      health: { consecutiveFailures: 0 },
    });
  });

  it('is at most 60% of the full JSON at 1,000 routines', () => {
    const routines = thousandRoutines();
    // Before: every field, and error messages uncut.
    const before = JSON.stringify(
      snapshot(
        'a',
        1,
        routines.map((info) => ({ ...published(info), lastError: info.lastError })),
      ),
    ).length;
    const cut = JSON.stringify(snapshot('a', 1, routines.map(published))).length;
    const after = snapshotText(snapshot('a', 1, routines.map(published))).length;
    process.stdout.write(
      `snapshot of 1,000 routines: ${before} bytes before, ${cut} with texts cut, ${after} also without defaults\n`,
    );
    expect(after).toBeLessThan(0.6 * before);
  });
});

/**
 * 1,000 routines as an app of many tenants has them: 70% instance interval routines, 20%
 * cluster ones (standbys that lost the latest claim), 10% background; one in 20 failing
 * with a 5 KB message (a stack-laden driver error).
 */
function thousandRoutines(): RegisteredRoutineInfo[] {
  return Array.from({ length: 1_000 }, (_, i) => {
    const name = `tenant-${String(i).padStart(4, '0')}-sync`;
    const failing = i % 20 === 0;
    const counters = {
      runs: 1_440,
      succeeded: failing ? 1_400 : 1_440,
      failures: failing ? 40 : 0,
      cancelled: 0,
      skipped: i % 7 === 0 ? 3 : 0,
      restarts: 0,
    };
    const lastRun = {
      runId: 1_440,
      status: failing ? ('failed' as const) : ('succeeded' as const),
      dueAt: T0 - 60_000,
      startedAt: T0 - 60_000 + 3,
      finishedAt: T0 - 60_000 + 250,
      durationMs: 247,
    };
    const common = {
      description: `syncs tenant ${i} with the billing provider`,
      counters,
      lastRun,
      health: { late: false, slow: false, consecutiveFailures: failing ? 2 : 0 },
      nextRunAt: T0 + 60_000,
      ...(failing && {
        lastError: { at: T0 - 59_750, message: `ECONNRESET ${'at x '.repeat(1_000)}` },
      }),
    };
    if (i % 10 === 9)
      return localRoutine(name, {
        ...common,
        kind: 'background',
        schedule: undefined,
        intervalMs: undefined,
        nextRunAt: undefined,
        runningSince: T0 - 3_600_000,
        inFlight: 1,
      });
    if (i % 10 >= 7)
      return localRoutine(name, {
        ...common,
        scope: 'cluster',
        schedule: 'every 1m',
        cluster: {
          role: 'standby',
          lastClaim: { slot: 29_000_000, outcome: 'lost', at: T0 - 60_000 },
          claims: { won: 480, lost: 960, errors: 0 },
        },
      });
    return localRoutine(name, common);
  });
}

// The reader restores exactly these: the published routine's own type, nothing more.
export type _Published = ReplicaRoutine;
