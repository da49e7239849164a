import {
  BadRequestException,
  Get,
  Header,
  Inject,
  NotFoundException,
  Param,
  Query,
} from '@nestjs/common';
import { describeError, systemClock } from '../core';
import { withDeadline } from '../core/deadline';
import { jobStats } from '../observability';
import { RoutinesRegistry } from '../nest/routines.registry';
import type { WorkerInfo } from '../nest/interfaces/worker-info.interface';
import { RoutineNotFoundError } from '../nest/routines.errors';
import {
  buildList,
  type DashboardList,
  type DashboardRoutineDetail,
  type DashboardWorker,
} from './dashboard-model';
import { DASHBOARD_CSS, DASHBOARD_JS } from './dashboard.assets';
import { renderContent, renderPage, type PageInput } from './dashboard.page';
import { DASHBOARD_SETTINGS, type ResolvedDashboardSettings } from './dashboard.settings';
import { RoutinesCluster, type ReplicasView } from './routines-cluster';

/** Nothing but this module's own files; no inline script or style, no frames, no forms elsewhere. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const HISTORY_LIMIT = 100;

/** The page, its assets and the JSON: read-only. Guarded by the module's guards. */
export class RoutinesDashboardController {
  constructor(
    protected readonly registry: RoutinesRegistry,
    protected readonly cluster: RoutinesCluster,
    @Inject(DASHBOARD_SETTINGS) protected readonly settings: ResolvedDashboardSettings,
  ) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', CSP)
  @Header('Cache-Control', 'no-store')
  @Header('X-Content-Type-Options', 'nosniff')
  async page(
    @Query('q') q?: string,
    @Query('problems') problems?: string,
    @Query('fragment') fragment?: string,
  ): Promise<string> {
    const input = await this.pageInput(typeof q === 'string' ? q : undefined, problems === '1');
    return fragment === '1' ? renderContent(input) : renderPage(input);
  }

  @Get('assets/dashboard.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=300')
  @Header('X-Content-Type-Options', 'nosniff')
  stylesheet(): string {
    return DASHBOARD_CSS;
  }

  @Get('assets/dashboard.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=300')
  @Header('X-Content-Type-Options', 'nosniff')
  script(): string {
    return DASHBOARD_JS;
  }

  /** Every routine, with stats, health, and its state on every live replica. */
  @Get('api/routines')
  @Header('Cache-Control', 'no-store')
  list(): Promise<DashboardList> {
    return this.buildList();
  }

  /** One routine and its history (`?limit=`, at most 100 by default, newest first). */
  @Get('api/routines/:name')
  @Header('Cache-Control', 'no-store')
  async detail(
    @Param('name') name: string,
    @Query('limit') limit?: string,
  ): Promise<DashboardRoutineDetail> {
    const list = await this.buildList();
    const routine = list.routines.find((candidate) => candidate.name === name);
    if (!routine)
      throw new NotFoundException(
        new RoutineNotFoundError(
          name,
          list.routines.map((r) => r.name),
        ).message,
      );
    const count = limit === undefined ? HISTORY_LIMIT : Number(limit);
    if (!Number.isInteger(count) || count < 0)
      throw new BadRequestException(`limit must be a whole number, not '${limit}'`);
    const detail: DashboardRoutineDetail = {
      ...routine,
      history: routine.here ? this.registry.history(name, { limit: count }) : [],
    };
    if (routine.worker) detail.jobs = this.registry.worker(name).history({ limit: count });
    return detail;
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
