import {
  BadRequestException,
  Get,
  Header,
  Inject,
  NotFoundException,
  Param,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { describeError, systemClock } from '../core';
import { withDeadline } from '../core/deadline';
import { jobStats } from '../observability';
import { RoutinesRegistry } from '../nest/routines.registry';
import type { WorkerInfo } from '../nest/interfaces/worker-info.interface';
import { RoutineNotFoundError } from '../nest/routines.errors';
import {
  buildList,
  type DashboardList,
  type DashboardRoutine,
  type DashboardRoutineDetail,
  type DashboardWorker,
} from './dashboard-model';
import { buildView, readViewQuery } from './dashboard-view';
import { sendEncoded, type EncodedBody } from './encoded-reply';
import { DASHBOARD_JS } from './dashboard.script';
import { DASHBOARD_CSS } from './dashboard.styles';
import { renderContent, renderPage, renderRoutinePage, type PageInput } from './dashboard.page';
import { DASHBOARD_SETTINGS, type ResolvedDashboardSettings } from './dashboard.settings';
import { RoutinesCluster, type ReplicasView } from './routines-cluster';

/** Nothing but this module's own files; no inline script or style, no frames, no forms elsewhere. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const HISTORY_LIMIT = 100;
/** Due times a routine's page lists. */
const NEXT_RUNS = 10;
const HTML = 'text/html; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * `GET <path>/api/routines/:name`: one routine, its history and its next due times.
 * @internal
 */
export interface DashboardRoutinePage extends DashboardRoutineDetail {
  /** The next due times (periodic routines; empty for the others). */
  nextRuns: number[];
}

/**
 * The pages, their assets and the JSON: read-only. Guarded by the module's guards. Answers are
 * gzipped when the client takes gzip, and the JSON a page polls carries an ETag (304 when
 * unchanged) and the module clock's time in `X-Routines-Now`.
 */
export class RoutinesDashboardController {
  /** A property, not a constructor parameter: the controllers' parameter list stays as the module declares it. */
  @Inject(HttpAdapterHost) protected readonly adapterHost!: HttpAdapterHost;

  constructor(
    protected readonly registry: RoutinesRegistry,
    protected readonly cluster: RoutinesCluster,
    @Inject(DASHBOARD_SETTINGS) protected readonly settings: ResolvedDashboardSettings,
  ) {}

  @Get()
  @Header('Content-Security-Policy', CSP)
  @Header('Cache-Control', 'no-store')
  @Header('X-Content-Type-Options', 'nosniff')
  async page(
    @Req() request: unknown,
    @Res() response: unknown,
    @Query('q') q?: string,
    @Query('problems') problems?: string,
    @Query('fragment') fragment?: string,
  ): Promise<void> {
    const input = await this.pageInput(typeof q === 'string' ? q : undefined, problems === '1');
    const body = fragment === '1' ? renderContent(input) : renderPage(input);
    await this.send(request, response, { body, contentType: HTML });
  }

  /** One routine's page (deep-linkable); 404 for a name no replica knows. */
  @Get('routines/:name')
  @Header('Content-Security-Policy', CSP)
  @Header('Cache-Control', 'no-store')
  @Header('X-Content-Type-Options', 'nosniff')
  async routinePage(
    @Param('name') name: string,
    @Req() request: unknown,
    @Res() response: unknown,
  ): Promise<void> {
    const input = await this.pageInput(undefined, false);
    const routine = findRoutine(input.list, name);
    await this.send(request, response, {
      body: renderRoutinePage(input, routine),
      contentType: HTML,
    });
  }

  @Get('assets/dashboard.css')
  @Header('Cache-Control', 'public, max-age=300')
  @Header('X-Content-Type-Options', 'nosniff')
  stylesheet(@Req() request: unknown, @Res() response: unknown): Promise<void> {
    return this.send(request, response, {
      body: DASHBOARD_CSS,
      contentType: 'text/css; charset=utf-8',
      etag: true,
    });
  }

  @Get('assets/dashboard.js')
  @Header('Cache-Control', 'public, max-age=300')
  @Header('X-Content-Type-Options', 'nosniff')
  script(@Req() request: unknown, @Res() response: unknown): Promise<void> {
    return this.send(request, response, {
      body: DASHBOARD_JS,
      contentType: 'text/javascript; charset=utf-8',
      etag: true,
    });
  }

  /**
   * What the list page polls: the summary and one page of rows, filtered and sorted here
   * (`q`, `problems=1`, `sort` = problems | name | state | failures | last | next, `dir=desc`,
   * `page`, `size` up to 200; default 50 rows, problems first).
   */
  @Get('api/view')
  @Header('Cache-Control', 'no-store')
  async view(
    @Req() request: unknown,
    @Res() response: unknown,
    @Query() query: Record<string, unknown>,
  ): Promise<void> {
    const view = buildView(await this.buildList(), readViewQuery(query ?? {}));
    await this.sendJson(request, response, view);
  }

  /** Every routine, with stats, health, and its state on every live replica. */
  @Get('api/routines')
  @Header('Cache-Control', 'no-store')
  async list(@Req() request: unknown, @Res() response: unknown): Promise<void> {
    await this.sendJson(request, response, await this.buildList());
  }

  /** One routine, its history (`?limit=`, at most 100 by default, newest first) and its next due times. */
  @Get('api/routines/:name')
  @Header('Cache-Control', 'no-store')
  async detail(
    @Param('name') name: string,
    @Req() request: unknown,
    @Res() response: unknown,
    @Query('limit') limit?: string,
  ): Promise<void> {
    const list = await this.buildList();
    const routine = findRoutine(list, name);
    const count = limit === undefined ? HISTORY_LIMIT : Number(limit);
    if (!Number.isInteger(count) || count < 0)
      throw new BadRequestException(`limit must be a whole number, not '${limit}'`);
    const detail: DashboardRoutinePage = {
      ...routine,
      history: routine.here ? this.registry.history(name, { limit: count }) : [],
      nextRuns: routine.here && routine.kind === 'periodic' ? this.nextRuns(name) : [],
    };
    if (routine.worker) detail.jobs = this.registry.worker(name).history({ limit: count });
    await this.sendJson(request, response, detail, wholeMilliseconds);
  }

  /** Live replicas: identity, when each last published, and its routines' states. */
  @Get('api/replicas')
  @Header('Cache-Control', 'no-store')
  replicas(): Promise<ReplicasView> {
    return this.cluster.replicas();
  }

  /** The registry is listed once: the page, this replica's snapshot and the JSON share it. */
  private async buildList(): Promise<DashboardList> {
    const local = this.registry.list();
    const [replicas, workers, migrations] = await Promise.all([
      this.cluster.replicas(local),
      workerViews(this.registry.workers()),
      this.migrations(),
    ]);
    const list = buildList(
      local,
      replicas,
      this.cluster.controls(),
      this.cluster.shared,
      this.settings.exposeStacks,
      this.wallNow(),
    );
    for (const routine of list.routines) {
      const worker = workers.get(routine.name);
      if (worker && routine.here) routine.worker = worker;
    }
    if (migrations) Object.assign(list, migrations);
    return list;
  }

  /** A stopped or disabled routine has no due time: the list is empty then, not an error. */
  private nextRuns(name: string): number[] {
    try {
      return this.registry.nextRuns(name, NEXT_RUNS);
    } catch {
      return [];
    }
  }

  /** JSON with an ETag over everything but the time (so an unchanged page costs a 304), the time in a header. */
  private sendJson(
    request: unknown,
    response: unknown,
    value: unknown,
    replacer?: (key: string, value: unknown) => unknown,
  ): Promise<void> {
    return this.send(request, response, {
      body: JSON.stringify(value, replacer),
      contentType: JSON_TYPE,
      etag: true,
      headers: { 'X-Routines-Now': String(this.wallNow()) },
    });
  }

  private send(request: unknown, response: unknown, answer: EncodedBody): Promise<void> {
    return sendEncoded(this.adapterHost.httpAdapter, request, response, answer);
  }

  private async migrations(): Promise<
    Pick<DashboardList, 'migrations' | 'migrationsProblem'> | undefined
  > {
    if (this.registry.migrations.declared.length === 0) return undefined;
    try {
      return {
        migrations: await withDeadline(systemClock, COUNTS_DEADLINE_MS, 'the coordinator', () =>
          this.registry.migrations.list({ errors: JOB_ERRORS_SHOWN }),
        ),
      };
    } catch (error) {
      return { migrationsProblem: describeError(error).message };
    }
  }

  private async pageInput(q: string | undefined, problems: boolean): Promise<PageInput> {
    return {
      list: await this.buildList(),
      history: (name) => this.registry.history(name, { limit: 40 }),
      settings: this.settings,
      query: { q, problems },
      now: this.wallNow(),
    };
  }

  /** The module's clock (a test's ManualClock too), or the system's before the module started. */
  private wallNow(): number {
    return this.registry.runtime?.clock.wallNow() ?? Date.now();
  }
}

/**
 * Epoch times in whole milliseconds: the registry reads wall-clock times off a monotonic clock,
 * and their fractions differ from one read to the next, which would change the ETag of every
 * answer (a number past 1e12 is a time here; durations stay as they are).
 */
function wholeMilliseconds(_key: string, value: unknown): unknown {
  return typeof value === 'number' && value > 1e12 && !Number.isInteger(value)
    ? Math.round(value)
    : value;
}

/** The routine of that name on any live replica, or a 404 naming the known ones. */
function findRoutine(list: DashboardList, name: string): DashboardRoutine {
  const routine = list.routines.find((candidate) => candidate.name === name);
  if (!routine)
    throw new NotFoundException(
      new RoutineNotFoundError(
        name,
        list.routines.map((r) => r.name),
      ).message,
    );
  return routine;
}

/** A page waits this long for a worker's row counts, then shows the page without them. */
const COUNTS_DEADLINE_MS = 1500;
const JOB_ERRORS_SHOWN = 3;

/** Each worker's jobs here and its table's rows (one query each, in parallel, under a deadline). */
async function workerViews(workers: readonly WorkerInfo[]): Promise<Map<string, DashboardWorker>> {
  const views = await Promise.all(
    workers.map(async (worker): Promise<[string, DashboardWorker]> => {
      const recent = worker.history();
      const view: DashboardWorker = {
        inFlight: worker.inFlight,
        stats: jobStats(recent),
        recentErrors: recent.filter((job) => job.error).slice(0, JOB_ERRORS_SHOWN),
      };
      try {
        const counts = await withDeadline(systemClock, COUNTS_DEADLINE_MS, 'the database', () =>
          worker.counts(),
        );
        view.rows = counts.byState;
        if (counts.oldestQueuedMs !== undefined) view.oldestQueuedMs = counts.oldestQueuedMs;
      } catch (error) {
        view.rowsProblem = describeError(error).message;
      }
      return [worker.name, view];
    }),
  );
  return new Map(views);
}
