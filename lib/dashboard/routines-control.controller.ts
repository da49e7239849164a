import {
  BadRequestException,
  Get,
  HttpException,
  Inject,
  NotFoundException,
  Param,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { ControlResult } from '../controls';
import {
  backfillFrom,
  intervalFrom,
  overlapFrom,
  pauseFrom,
  waits,
  wantsPage,
} from './control-requests';
import { DashboardAudit, type AuditedAction } from './dashboard-audit';
import { MESSAGES } from './dashboard.messages';
import { DASHBOARD_SETTINGS, type ResolvedDashboardSettings } from './dashboard.settings';
import { underMinInterval } from './min-interval';
import { RoutinesCluster } from './routines-cluster';
import { asHttpError } from './http-errors';
import { SameOriginGuard } from './same-origin.guard';

/** What an action answers, and what its audit entry says besides the action and target. */
interface Done {
  body: unknown;
  /** 200 unless said: 202 for an action that goes on after the answer. */
  status?: number;
  audit: Pick<AuditedAction, 'scope'> & Partial<Omit<AuditedAction, 'action' | 'target'>>;
}

/**
 * The operator's actions: trigger, pause, resume, interval, cancel, backfill, start, stop,
 * restart, and a migration's reverse and forward. Answers 404 unless `control: true`;
 * refuses cross-site requests; records each action (who, where, before and after, how it
 * ended) in the audit trail and the log. A form posted without script (Accept: text/html) is
 * redirected back to the page. `GET api/routines/:name/runs/:id` reads a triggered run.
 */
export class RoutinesControlController {
  constructor(
    protected readonly cluster: RoutinesCluster,
    @Inject(DASHBOARD_SETTINGS) protected readonly settings: ResolvedDashboardSettings,
    protected readonly adapterHost: HttpAdapterHost,
    protected readonly audit: DashboardAudit,
  ) {}

  /**
   * Answers at once: 202 `{ runId, routine, where }` once the run started (its outcome lands in
   * the history under `runId`), 202 `{ queued: true }` when an `overlap` body buffered it
   * behind the run in flight, 200 `{ outcome }` when refused at once (`skipped`, `busy`).
   * `?wait=1` answers with the outcome once the run has ended. Body (optional): `{ overlap }`.
   */
  @Post('api/routines/:name/trigger')
  @UseGuards(SameOriginGuard)
  trigger(
    @Param('name') name: string,
    @Req() request: unknown,
    @Res() response: unknown,
  ): Promise<void> {
    return this.act(request, response, 'trigger', name, async () => {
      const overlap = overlapFrom(request);
      const options = overlap ? { overlap } : {};
      if (waits(request)) {
        const result = await this.cluster.trigger(name, options);
        return { body: withWhere(result), audit: { ...auditOf(result), note: runNote(result) } };
      }
      const { outcome, ...result } = this.cluster.startTrigger(name, options);
      const answer = withWhere(result);
      if (result.runId !== undefined) {
        return { body: answer, status: 202, audit: { ...auditOf(result), note: runNote(result) } };
      }
      const refused = await settledAtOnce(outcome);
      if (refused === undefined) {
        return { body: { ...answer, queued: true }, status: 202, audit: auditOf(result) };
      }
      const why = refused.reason ? `${refused.status}: ${refused.reason}` : refused.status;
      return { body: { ...answer, outcome: refused }, audit: { ...auditOf(result), outcome: why } };
    });
  }

  /** Body (optional): `{ "note": "billing API down" }`; `by` is the operator (the body's `by` when there is none). */
  @Post('api/routines/:name/pause')
  @UseGuards(SameOriginGuard)
  pause(
    @Param('name') name: string,
    @Req() request: unknown,
    @Res() response: unknown,
  ): Promise<void> {
    return this.act(request, response, 'pause', name, async () => {
      const info = pauseFrom(request, this.audit.operator(request));
      const result = await this.cluster.pause(name, info);
      return { body: result, audit: { ...auditOf(result), to: 'paused', note: info?.note } };
    });
  }

  @Post('api/routines/:name/resume')
  @UseGuards(SameOriginGuard)
  resume(
    @Param('name') name: string,
    @Req() request: unknown,
    @Res() response: unknown,
  ): Promise<void> {
    return this.act(request, response, 'resume', name, async () => {
      const result = await this.cluster.resume(name);
      return { body: result, audit: { ...auditOf(result), to: 'running' } };
    });
  }

  /**
   * Body: `{ "interval": "5m" }`, or `{ "cron": "0 3 * * *", "timeZone": "Europe/Berlin" }`;
   * under the `minInterval` option: 400.
   */
  @Post('api/routines/:name/interval')
  @UseGuards(SameOriginGuard)
  interval(
    @Param('name') name: string,
    @Req() request: unknown,
    @Res() response: unknown,
  ): Promise<void> {
    return this.act(request, response, 'interval', name, async () => {
      const interval = intervalFrom(request);
      const tooShort = underMinInterval(interval, this.settings.minIntervalMs);
      if (tooShort) throw new BadRequestException(tooShort);
      const result = await this.cluster.setInterval(name, interval);
      return { body: result, audit: { ...auditOf(result), from: result.from, to: result.to } };
    });
  }

  /** Aborts the signals of the routine's runs in flight here (and stops its backfills started here): `{ cancelled }`. */
  @Post('api/routines/:name/cancel')
  @UseGuards(SameOriginGuard)
  cancel(
    @Param('name') name: string,
    @Req() request: unknown,
    @Res() response: unknown,
  ): Promise<void> {
    return this.act(request, response, 'cancel', name, async () => {
      const result = this.cluster.cancel(name);
      const note = `${result.cancelled} run${result.cancelled === 1 ? '' : 's'} in flight`;
      return { body: result, audit: { ...auditOf(result), note } };
    });
  }

  /**
   * Body: `{ "from": "2026-12-01T00:00:00Z", "to": 1764633600000, "overlap"?: ... }` (ISO
   * times or epoch ms). Answers at once, 202 `{ dueTimes }`; `?wait=1` with the report.
   */
  @Post('api/routines/:name/backfill')
  @UseGuards(SameOriginGuard)
  backfill(
    @Param('name') name: string,
    @Req() request: unknown,
    @Res() response: unknown,
  ): Promise<void> {
    return this.act(request, response, 'backfill', name, async () => {
      const options = backfillFrom(request);
      const { report, ...result } = await this.cluster.startBackfill(name, options);
      const note = `${new Date(options.from).toISOString()} to ${new Date(options.to).toISOString()}: ${result.dueTimes} due times`;
      const audit = { ...auditOf(result), note };
      if (!waits(request)) return { body: withWhere(result), status: 202, audit };
      return { body: { ...withWhere(result), report: await report }, audit };
    });
  }

  /** Starts a routine that is not running (disabled, stopped, failed, completed), here. */
  @Post('api/routines/:name/start')
  @UseGuards(SameOriginGuard)
  start(
    @Param('name') name: string,
    @Req() request: unknown,
    @Res() response: unknown,
  ): Promise<void> {
    return this.lifecycle(name, request, response, 'start');
  }

  /** Stops a routine here and waits for its runs to settle. */
  @Post('api/routines/:name/stop')
  @UseGuards(SameOriginGuard)
  stop(
    @Param('name') name: string,
    @Req() request: unknown,
    @Res() response: unknown,
  ): Promise<void> {
    return this.lifecycle(name, request, response, 'stop');
  }

  /** Stops a routine here, waits, and starts it again (built afresh). */
  @Post('api/routines/:name/restart')
  @UseGuards(SameOriginGuard)
  restart(
    @Param('name') name: string,
    @Req() request: unknown,
    @Res() response: unknown,
  ): Promise<void> {
    return this.lifecycle(name, request, response, 'restart');
  }

  /** Runs a migration backwards until its progress is 0, on every replica (stored). */
  @Post('api/migrations/:name/reverse')
  @UseGuards(SameOriginGuard)
  reverse(
    @Param('name') name: string,
    @Req() request: unknown,
    @Res() response: unknown,
  ): Promise<void> {
    return this.migrate(name, request, response, 'reverse');
  }

  /** Runs a migration forward again until its progress is 1, on every replica (stored). */
  @Post('api/migrations/:name/forward')
  @UseGuards(SameOriginGuard)
  forward(
    @Param('name') name: string,
    @Req() request: unknown,
    @Res() response: unknown,
  ): Promise<void> {
    return this.migrate(name, request, response, 'forward');
  }

  /** A run by id, on this replica: `{ status: 'running' }`, its record once ended, or 404. */
  @Get('api/routines/:name/runs/:id')
  run(@Param('name') name: string, @Param('id') id: string, @Res() response: unknown): void {
    const adapter = this.adapterHost.httpAdapter;
    try {
      if (!/^\d+$/.test(id)) throw new BadRequestException(MESSAGES.badRunId(id));
      const run = this.cluster.run(name, Number(id));
      if (!run) throw new NotFoundException(MESSAGES.unknownRun(name, id));
      adapter.reply(response, run, 200);
    } catch (error) {
      const http = asHttpError(error);
      adapter.reply(response, http.getResponse(), http.getStatus());
    }
  }

  private lifecycle(
    name: string,
    request: unknown,
    response: unknown,
    action: 'start' | 'stop' | 'restart',
  ): Promise<void> {
    return this.act(request, response, action, name, async () => {
      const result = await this.cluster.lifecycle(name, action);
      return { body: result, audit: { ...auditOf(result), to: result.state } };
    });
  }

  private migrate(
    name: string,
    request: unknown,
    response: unknown,
    direction: 'reverse' | 'forward',
  ): Promise<void> {
    return this.act(request, response, direction, name, async () => {
      const { where, state } = await this.cluster.migrate(name, direction);
      const body = { migration: name, action: direction, where, state };
      const scope = where === 'cluster' ? 'every replica' : 'this replica';
      return { body, audit: { scope, to: direction } };
    });
  }

  /** Checks `control`, does the action, records it (done or failed), and answers. */
  private async act(
    request: unknown,
    response: unknown,
    action: string,
    target: string,
    work: () => Promise<Done>,
  ): Promise<void> {
    const adapter = this.adapterHost.httpAdapter;
    if (!this.settings.control) {
      const http = new NotFoundException();
      return adapter.reply(response, http.getResponse(), http.getStatus());
    }
    try {
      const done = await work();
      this.audit.record(request, { action, target, outcome: 'ok', ...done.audit });
      if (wantsPage(request)) return adapter.redirect(response, 303, this.settings.path);
      adapter.reply(response, done.body, done.status ?? 200);
    } catch (error) {
      const http = asHttpError(error);
      const outcome = messageOf(http);
      this.audit.record(request, { action, target, scope: 'this replica', outcome });
      adapter.reply(response, http.getResponse(), http.getStatus());
    }
  }
}

function messageOf(http: HttpException): string {
  const body = http.getResponse();
  const message =
    typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : body;
  return typeof message === 'string' ? message : http.message;
}

/** Where a control holds, as the audit says it. */
function auditOf(result: ControlResult): Done['audit'] {
  return { scope: result.appliesTo === 'cluster' ? 'every replica' : 'this replica' };
}

/** The answer with `where` (the page's name for `appliesTo`). */
function withWhere<T extends ControlResult>(result: T): T & { where: ControlResult['appliesTo'] } {
  return { ...result, where: result.appliesTo };
}

function runNote(result: { runId?: number; outcome?: { runId?: number } }): string | undefined {
  const id = result.runId ?? result.outcome?.runId;
  return id === undefined ? undefined : `run ${id}`;
}

/**
 * The outcome if it settles within this turn of the event loop (a trigger refused at once),
 * else undefined (a buffered trigger waits for the run in flight). A rejection is thrown.
 */
async function settledAtOnce<T>(outcome: Promise<T>): Promise<T | undefined> {
  const later = new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined)));
  return Promise.race([outcome, later]);
}
