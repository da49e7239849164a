import {
  BadRequestException,
  Body,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  UseGuards,
} from '@nestjs/common';
import { RoutinesRegistry } from '../nest/routines.registry';
import { RoutineNotFoundError } from '../nest/routines.errors';
import type { WorkerInfo } from '../nest/interfaces/worker-info.interface';
import type {
  JobActionResult,
  JobFilter,
  JobPage,
  JobQuery,
} from '../worker/interfaces/job-list.interface';
import type { JobState } from '../worker/worker-table';
import { DashboardAudit } from './dashboard-audit';
import { asHttpError } from './http-errors';
import { MESSAGES } from './dashboard.messages';
import { DASHBOARD_SETTINGS, type ResolvedDashboardSettings } from './dashboard.settings';
import { SameOriginGuard } from './same-origin.guard';

/** An operator's action on a worker's jobs. */
export type JobAction = 'retry' | 'discard' | 'cancel';

/** A query's value: Express and Fastify give a repeated parameter as an array. */
type QueryValue = string | string[] | undefined;

/**
 * A worker's jobs: the list (read, behind the module's guards), and retry, discard and cancel
 * (control: 404 unless `control: true`, cross-site requests refused). Each action goes to the
 * audit trail (and the log) with its operator, the worker, the filter and the count or error.
 */
export class JobsController {
  constructor(
    protected readonly registry: RoutinesRegistry,
    @Inject(DASHBOARD_SETTINGS) protected readonly settings: ResolvedDashboardSettings,
    protected readonly audit: DashboardAudit,
  ) {}

  /** `?state=failed,errored&q=to=a@example.com&limit=50&before=<next>` → a page. */
  @Get('api/workers/:name/jobs')
  async jobs(
    @Param('name') name: string,
    @Query('state') state?: QueryValue,
    @Query('q') q?: QueryValue,
    @Query('limit') limit?: QueryValue,
    @Query('before') before?: QueryValue,
  ): Promise<JobPage> {
    const worker = this.worker(name);
    const query: JobQuery = {};
    const states = statesOf(state);
    if (states) query.state = states;
    if (typeof q === 'string' && q.trim() !== '') query.search = q;
    if (typeof limit === 'string' && limit !== '') query.limit = limitOf(limit);
    if (typeof before === 'string' && before !== '') query.before = before;
    return answer(() => worker.jobs(query));
  }

  /** Body `{ ids }` or `{ state, q? }` → `{ count }`. */
  @Post('api/workers/:name/jobs/retry')
  @HttpCode(200)
  @UseGuards(SameOriginGuard)
  retry(
    @Param('name') name: string,
    @Body() body: unknown,
    @Req() request: unknown,
  ): Promise<JobActionResult> {
    return this.act('retry', name, body, request);
  }

  /** Body `{ ids }` or `{ state, q? }` → `{ count }`. */
  @Post('api/workers/:name/jobs/discard')
  @HttpCode(200)
  @UseGuards(SameOriginGuard)
  discard(
    @Param('name') name: string,
    @Body() body: unknown,
    @Req() request: unknown,
  ): Promise<JobActionResult> {
    return this.act('discard', name, body, request);
  }

  /** Body `{ ids }` or `{ state, q? }` → `{ count }`. */
  @Post('api/workers/:name/jobs/cancel')
  @HttpCode(200)
  @UseGuards(SameOriginGuard)
  cancel(
    @Param('name') name: string,
    @Body() body: unknown,
    @Req() request: unknown,
  ): Promise<JobActionResult> {
    return this.act('cancel', name, body, request);
  }

  private async act(
    action: JobAction,
    name: string,
    body: unknown,
    request: unknown,
  ): Promise<JobActionResult> {
    if (!this.settings.control) throw new NotFoundException();
    const filter = filterOf(body);
    const worker = this.worker(name);
    const audited = { action: `${action} jobs`, target: name, scope: 'every replica' as const };
    try {
      const { count } = await answer(() => worker[action](filter));
      this.audit.record(request, {
        ...audited,
        note: `${count} job(s), ${JSON.stringify(filter)}`,
        outcome: 'ok',
      });
      return { count };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.audit.record(request, { ...audited, note: JSON.stringify(filter), outcome: message });
      throw error;
    }
  }

  private worker(name: string): WorkerInfo {
    try {
      return this.registry.worker(name);
    } catch (error) {
      if (error instanceof RoutineNotFoundError) throw new NotFoundException(error.message);
      throw error;
    }
  }
}

/** A call's answer; a bad argument (a `RangeError` naming it) is a 400, a database failure a 503. */
async function answer<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asHttpError(error);
  }
}

/** `state=failed,errored` or `state=failed&state=errored`; checked by the list itself. */
function statesOf(state: QueryValue): JobState[] | undefined {
  const values = (Array.isArray(state) ? state : [state ?? ''])
    .flatMap((value) => String(value).split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');
  return values.length > 0 ? (values as JobState[]) : undefined;
}

function limitOf(limit: string): number {
  if (!/^\d+$/.test(limit)) throw new BadRequestException(MESSAGES.notLimit(limit));
  return Number(limit);
}

/**
 * The body of an action as a filter: `{ ids }`, or `{ state, q }` (`state` one state, several
 * separated by commas, or an array). Its shape is checked here; its values (states, ids of the
 * id column's type, an empty filter) by the worker, as a `RangeError` naming them.
 */
function filterOf(body: unknown): JobFilter {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException(MESSAGES.notJobsBody);
  }
  const { ids, state, q, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    throw new BadRequestException(
      MESSAGES.notJobsField(unknown.join(', '), `left out (the fields are ids, state, q)`),
    );
  }
  if (ids !== undefined && !(Array.isArray(ids) && ids.every((id) => typeof id === 'string'))) {
    throw new BadRequestException(MESSAGES.notJobsField('ids', 'an array of strings'));
  }
  const stateOk =
    state === undefined ||
    typeof state === 'string' ||
    (Array.isArray(state) && state.every((one) => typeof one === 'string'));
  if (!stateOk)
    throw new BadRequestException(MESSAGES.notJobsField('state', 'a string or strings'));
  if (q !== undefined && typeof q !== 'string') {
    throw new BadRequestException(MESSAGES.notJobsField('q', 'a string'));
  }
  const filter: Record<string, unknown> = {};
  if (ids !== undefined) filter.ids = ids;
  const states = statesOf(state as QueryValue);
  if (states) filter.state = states;
  if (typeof q === 'string' && q.trim() !== '') filter.search = q;
  return filter as unknown as JobFilter;
}
