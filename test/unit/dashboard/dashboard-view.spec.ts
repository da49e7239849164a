import { buildView, readViewQuery } from '../../../lib/dashboard/dashboard-view';
import type { DashboardList, DashboardRoutine } from '../../../lib/dashboard/dashboard-model';
import { DASHBOARD_JS } from '../../../lib/dashboard/dashboard.script';
import { DASHBOARD_CSS } from '../../../lib/dashboard/dashboard.styles';

function routine(name: string, over: Partial<DashboardRoutine> = {}): DashboardRoutine {
  return {
    name,
    kind: 'periodic',
    scope: 'instance',
    state: 'running',
    inFlight: 0,
    counters: { runs: 0, failures: 0, skipped: 0, restarts: 0 },
    enabled: true,
    source: 'RoutinesRegistry.add',
    removable: true,
    health: { late: false, slow: false, consecutiveFailures: 0 },
    problems: [],
    here: true,
    replicas: [],
    ...over,
  } as DashboardRoutine;
}

function list(routines: DashboardRoutine[]): DashboardList {
  const replica = { id: 'r1', host: 'web-1', pid: 1, startedAt: 0 };
  return {
    generatedAt: 0,
    replica,
    replicas: [{ ...replica, publishedAt: 0, routines: routines.length }],
    shared: false,
    summary: { routines: routines.length, failing: 0, late: 0, paused: 0, problems: 0, lost: 0 },
    routines,
  };
}

const failing = (name: string, inARow: number) =>
  routine(name, {
    problems: ['failing'],
    health: { late: false, slow: false, consecutiveFailures: inARow },
    counters: {
      runs: 5,
      succeeded: 5 - inARow,
      failures: inARow,
      cancelled: 0,
      skipped: 0,
      restarts: 0,
    },
  });

describe('the console view (GET <path>/api/view)', () => {
  const routines = [
    routine('alpha', {
      nextRunAt: 3000,
      lastRun: { status: 'succeeded', dueAt: 10, startedAt: 10 },
    }),
    failing('bravo', 1),
    routine('charlie', { nextRunAt: 1000, state: 'paused', description: 'the Charlie sync' }),
    failing('delta', 4),
    routine('echo', { lastRun: { status: 'failed', dueAt: 50, startedAt: 50 } }),
  ];
  const names = (query: Record<string, string>) =>
    buildView(list(routines), readViewQuery(query)).rows.map((row) => row.name);

  it('puts problems first by default, the worst first, then by name', () => {
    expect(names({})).toEqual(['delta', 'bravo', 'charlie', 'alpha', 'echo']);
  });

  it('sorts by failures, last run, next run, state and name; dir=desc turns it round', () => {
    expect(names({ sort: 'failures' })).toEqual(['delta', 'bravo', 'alpha', 'charlie', 'echo']);
    expect(names({ sort: 'last' }).slice(0, 2)).toEqual(['echo', 'alpha']);
    expect(names({ sort: 'next' }).slice(0, 2)).toEqual(['charlie', 'alpha']);
    expect(names({ sort: 'state' })[0]).toBe('charlie');
    expect(names({ sort: 'name', dir: 'desc' })).toEqual([
      'echo',
      'delta',
      'charlie',
      'bravo',
      'alpha',
    ]);
  });

  it('filters by text (name or description, any case) and problems only, and counts what it shows', () => {
    expect(names({ q: 'CHARLIE sync' })).toEqual(['charlie']);
    expect(names({ problems: '1' })).toEqual(['delta', 'bravo']);
    const view = buildView(list(routines), readViewQuery({ problems: '1' }));
    expect(view.summary).toMatchObject({ routines: 5, shown: 2, lost: 0 });
  });

  it('pages: only the rows of the page asked for, the last page when past it', () => {
    const many = Array.from({ length: 120 }, (_, i) => routine(`r-${String(i).padStart(3, '0')}`));
    const second = buildView(list(many), readViewQuery({ page: '2', sort: 'name' }));
    expect(second).toMatchObject({ page: 2, pages: 3, size: 50 });
    expect(second.rows.map((row) => row.name)[0]).toBe('r-050');
    expect(buildView(list(many), readViewQuery({ page: '9' })).page).toBe(3);
    expect(buildView(list(many), readViewQuery({ size: '500' })).rows).toHaveLength(120);
  });

  it('falls back to the defaults for values it does not know (a hand-edited URL still shows the page)', () => {
    expect(readViewQuery({ sort: 'bogus', page: '-1', size: 'x', problems: 'yes' })).toEqual({
      q: undefined,
      problems: false,
      sort: 'problems',
      desc: false,
      page: 1,
      size: 50,
    });
  });

  it("counts lost replicas, and a routine's lost replicas, as the model marks them", () => {
    const shown = list([
      routine('alpha', {
        replicas: [
          { replica: 'r1', host: 'web-1', pid: 1 },
          { replica: 'r2', host: 'web-2', pid: 2, lost: true },
        ] as unknown as DashboardRoutine['replicas'],
      }),
    ]);
    (shown.replicas as unknown as Array<Record<string, unknown>>).push({
      id: 'r2',
      host: 'web-2',
      pid: 2,
      startedAt: 0,
      publishedAt: 0,
      routines: 1,
      lost: true,
    });
    shown.summary.lost = 1;
    const view = buildView(shown, readViewQuery({}));
    expect(view.summary.lost).toBe(1);
    expect(view.rows[0]).toMatchObject({ replicas: 2, lost: 1 });
  });
});

describe("the console's assets", () => {
  it('the script parses, and neither asset holds a backtick or ${ (they are raw template strings)', () => {
    expect(() => new Function(DASHBOARD_JS)).not.toThrow();
    for (const asset of [DASHBOARD_JS, DASHBOARD_CSS]) {
      expect(asset).not.toContain('`');
      expect(asset).not.toContain('${');
    }
  });

  it('the script never writes markup: no innerHTML, outerHTML, insertAdjacentHTML or document.write', () => {
    expect(DASHBOARD_JS).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });
});
