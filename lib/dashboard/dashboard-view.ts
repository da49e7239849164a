import type { MigrationInfo } from '../migrations';
import type { DashboardList, DashboardRoutine } from './dashboard-model';

/** What the table can be sorted by; `problems` (the default) puts routines with problems first. */
export const VIEW_SORTS = ['problems', 'name', 'state', 'failures', 'last', 'next'] as const;
export type ViewSort = (typeof VIEW_SORTS)[number];

/** Rows per page of `GET <path>/api/view` unless `size` says otherwise, and the most it takes. */
export const VIEW_PAGE_SIZE = 50;
export const VIEW_PAGE_SIZE_MAX = 200;

/** `GET <path>/api/view`'s query once read: filter, sort, page. */
export interface ViewQuery {
  q?: string;
  problems: boolean;
  sort: ViewSort;
  desc: boolean;
  page: number;
  size: number;
}

/** One row of the table: what a line shows, no history (the detail page has it). */
export interface ViewRow {
  name: string;
  description?: string;
  kind: string;
  scope: string;
  state: string;
  problems: string[];
  /** Failures in a row now. */
  failing: number;
  runs: number;
  failures: number;
  last?: { status: string; at: number; ms?: number };
  next?: number;
  /** Replicas that run it, and how many of those are lost. */
  replicas: number;
  lost: number;
  paused?: { at: number; by?: string; note?: string };
  /** False when only another replica declares it (no controls here). */
  here: boolean;
}

/**
 * `GET <path>/api/view`: the summary and one page of rows, filtered and sorted on the server,
 * so a refresh at 1,000 routines carries a page of rows, not every routine (issue 26).
 * @internal
 */
export interface DashboardView {
  replica: { id: string; host: string; pid: number };
  replicas: Array<{
    id: string;
    host: string;
    pid: number;
    version?: string;
    startedAt: number;
    /** Absent for this replica: its snapshot is taken as the view is, so it is always "now". */
    publishedAt?: number;
    routines: number;
    lost?: boolean;
    lostSince?: number;
  }>;
  replicasProblem?: string;
  shared: boolean;
  summary: {
    routines: number;
    failing: number;
    late: number;
    paused: number;
    problems: number;
    lost: number;
    shown: number;
  };
  migrations?: MigrationInfo[];
  migrationsProblem?: string;
  query: { q: string; problems: boolean; sort: ViewSort; desc: boolean };
  page: number;
  pages: number;
  size: number;
  rows: ViewRow[];
}

/** Marks a replica or a routine's replica the directory keeps after it stopped publishing. */
interface MaybeLost {
  lost?: boolean;
  lostSince?: number;
}

/**
 * Reads the view's query; a value it does not know falls back to the default (a hand-edited
 * URL still shows the page).
 * @internal
 */
export function readViewQuery(raw: Record<string, unknown>): ViewQuery {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const sort = text(raw.sort);
  const page = Number(text(raw.page) ?? 1);
  const size = Number(text(raw.size) ?? VIEW_PAGE_SIZE);
  return {
    q: text(raw.q)?.trim() || undefined,
    problems: text(raw.problems) === '1',
    sort: (VIEW_SORTS as readonly string[]).includes(sort ?? '') ? (sort as ViewSort) : 'problems',
    desc: text(raw.dir) === 'desc',
    page: Number.isInteger(page) && page >= 1 ? page : 1,
    size: Number.isInteger(size) && size >= 1 ? Math.min(size, VIEW_PAGE_SIZE_MAX) : VIEW_PAGE_SIZE,
  };
}

/** Whether a routine passes the page's filters (text in its name or description, problems only). */
export function matchesQuery(
  routine: DashboardRoutine,
  query: { q?: string; problems?: boolean },
): boolean {
  if (query.problems && routine.problems.length === 0) return false;
  const q = query.q?.trim().toLowerCase();
  return !q || `${routine.name} ${routine.description ?? ''}`.toLowerCase().includes(q);
}

/**
 * The summary and the page of rows asked for.
 * @internal
 */
export function buildView(list: DashboardList, query: ViewQuery): DashboardView {
  const shown = list.routines.filter((routine) => matchesQuery(routine, query));
  const rows = shown.map(rowOf).sort(comparator(query.sort, query.desc));
  const pages = Math.max(1, Math.ceil(rows.length / query.size));
  const page = Math.min(query.page, pages);
  const replicas = list.replicas as Array<DashboardList['replicas'][number] & MaybeLost>;
  const view: DashboardView = {
    replica: { id: list.replica.id, host: list.replica.host, pid: list.replica.pid },
    // This replica's snapshot is stamped with the time of the request: left out, so that an
    // unchanged page keeps its ETag (a 304) from one refresh to the next.
    replicas: replicas.map(({ publishedAt, ...replica }) =>
      replica.id === list.replica.id ? replica : { ...replica, publishedAt },
    ),
    shared: list.shared,
    summary: {
      ...list.summary,
      shown: shown.length,
    },
    query: { q: query.q ?? '', problems: query.problems, sort: query.sort, desc: query.desc },
    page,
    pages,
    size: query.size,
    rows: rows.slice((page - 1) * query.size, page * query.size),
  };
  if (list.replicasProblem) view.replicasProblem = list.replicasProblem;
  if (list.migrations) view.migrations = list.migrations;
  if (list.migrationsProblem) view.migrationsProblem = list.migrationsProblem;
  return view;
}

function rowOf(routine: DashboardRoutine): ViewRow {
  const replicas = routine.replicas as Array<DashboardRoutine['replicas'][number] & MaybeLost>;
  const row: ViewRow = {
    name: routine.name,
    kind: routine.kind,
    scope: routine.scope,
    state: routine.state,
    problems: routine.problems,
    failing: routine.health.consecutiveFailures,
    runs: routine.counters.runs,
    failures: routine.counters.failures,
    replicas: replicas.length,
    lost: replicas.filter((replica) => replica.lost).length,
    here: routine.here,
  };
  if (routine.description) row.description = routine.description;
  const run = routine.lastRun;
  if (run) {
    row.last = { status: run.status, at: Math.round(run.startedAt ?? run.dueAt) };
    if (run.durationMs !== undefined) row.last.ms = Math.round(run.durationMs * 10) / 10;
  }
  // Whole milliseconds: the registry's wall-clock times are read off a monotonic clock, and their
  // fractions differ from one read to the next, which would change the ETag of every answer.
  if (routine.nextRunAt !== undefined) row.next = Math.round(routine.nextRunAt);
  if (routine.paused) row.paused = { ...routine.paused, at: Math.round(routine.paused.at) };
  return row;
}

/** States an operator looks at first come first when sorting by state. */
const STATE_RANK: Record<string, number> = {
  failed: 0,
  stopped: 1,
  stopping: 2,
  restarting: 3,
  paused: 4,
  delayed: 5,
  disabled: 6,
  standby: 7,
  idle: 8,
  running: 9,
  completed: 10,
};

/**
 * Ascending means "worst or soonest first" for every key but the name: most failures, most
 * recent run, next run soonest, worst state. `desc` turns it round. Ties go by name.
 */
function comparator(sort: ViewSort, desc: boolean): (a: ViewRow, b: ViewRow) => number {
  const key = SORT_KEYS[sort];
  return (a, b) => {
    const order = key(a, b);
    return (desc ? -order : order) || a.name.localeCompare(b.name);
  };
}

const SORT_KEYS: Record<ViewSort, (a: ViewRow, b: ViewRow) => number> = {
  problems: (a, b) =>
    b.problems.length - a.problems.length || b.failing - a.failing || stateOrder(a, b),
  name: (a, b) => a.name.localeCompare(b.name),
  state: stateOrder,
  failures: (a, b) => b.failing - a.failing || b.failures - a.failures,
  last: (a, b) => (b.last?.at ?? -Infinity) - (a.last?.at ?? -Infinity) || 0,
  next: (a, b) => (a.next ?? Infinity) - (b.next ?? Infinity) || 0,
};

function stateOrder(a: ViewRow, b: ViewRow): number {
  return (STATE_RANK[a.state] ?? 99) - (STATE_RANK[b.state] ?? 99);
}
