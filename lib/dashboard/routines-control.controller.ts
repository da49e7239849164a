import {
  BadRequestException,
  ConflictException,
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
import type { IntervalSpec, PauseInfo } from '../core';
import { RoutineActionError, RoutineNotFoundError } from '../nest/routines.errors';
import { MESSAGES } from './dashboard.messages';
import { DASHBOARD_SETTINGS, type ResolvedDashboardSettings } from './dashboard.settings';
import { RoutinesCluster } from './routines-cluster';
import { SameOriginGuard } from './same-origin.guard';

/**
 * Trigger, pause, resume, interval. Answers 404 unless `control: true`; refuses cross-site
 * requests; logs each action with the routine and where it applies. A form posted without
 * script (Accept: text/html) is redirected back to the page.
 */
export class RoutinesControlController {
  constructor(
    protected readonly cluster: RoutinesCluster,
    @Inject(DASHBOARD_SETTINGS) protected readonly settings: ResolvedDashboardSettings,
    protected readonly adapterHost: HttpAdapterHost,
  ) {}

  @Post('api/routines/:name/trigger')
  @UseGuards(SameOriginGuard)
  trigger(
    @Param('name') name: string,
    @Req() request: unknown,
    @Res() response: unknown,
  ): Promise<void> {
    return this.act(request, response, () => this.cluster.trigger(name));
  }

  @Post('api/routines/:name/pause')
  @UseGuards(SameOriginGuard)
  pause(
    @Param('name') name: string,
    @Req() request: unknown,
    @Res() response: unknown,
  ): Promise<void> {
    return this.act(request, response, () => this.cluster.pause(name, pauseFrom(request)));
  }

  @Post('api/routines/:name/resume')
  @UseGuards(SameOriginGuard)
  resume(
    @Param('name') name: string,
    @Req() request: unknown,
    @Res() response: unknown,
  ): Promise<void> {
    return this.act(request, response, () => this.cluster.resume(name));
  }

  /** Body: `{ "interval": "5m" }`, or `{ "cron": "0 3 * * *", "timeZone": "Europe/Berlin" }`. */
  @Post('api/routines/:name/interval')
  @UseGuards(SameOriginGuard)
  interval(
    @Param('name') name: string,
    @Req() request: unknown,
    @Res() response: unknown,
  ): Promise<void> {
    return this.act(request, response, () => this.cluster.setInterval(name, intervalFrom(request)));
  }

  private async act(
    request: unknown,
    response: unknown,
    action: () => Promise<unknown>,
  ): Promise<void> {
    const adapter = this.adapterHost.httpAdapter;
    try {
      if (!this.settings.control) throw new NotFoundException();
      const result = await action();
      if (wantsPage(request)) return adapter.redirect(response, 303, this.settings.path);
      adapter.reply(response, result, 200);
    } catch (error) {
      const http = asHttpError(error);
      adapter.reply(response, http.getResponse(), http.getStatus());
    }
  }
}

function asHttpError(error: unknown): HttpException {
  if (error instanceof HttpException) return error;
  if (error instanceof RoutineNotFoundError) return new NotFoundException(error.message);
  if (error instanceof RoutineActionError) return new ConflictException(error.message);
  if (error instanceof RangeError) return new BadRequestException(error.message);
  const message = error instanceof Error ? error.message : String(error);
  // The coordinator did not store a cluster control: nothing changed anywhere.
  return new HttpException({ statusCode: 503, message, error: 'Service Unavailable' }, 503);
}

/** Body (optional): `{ "note": "billing API down", "by": "alice" }`; empty fields are left out. */
function pauseFrom(request: unknown): PauseInfo | undefined {
  const body = (request as { body?: Record<string, unknown> }).body;
  if (!body || typeof body !== 'object') return undefined;
  const info: PauseInfo = {};
  for (const key of ['note', 'by'] as const) {
    const value = body[key];
    if (typeof value === 'string' && value.trim() !== '') info[key] = value.trim();
    else if (value !== undefined && typeof value !== 'string') {
      throw new BadRequestException(`${key} must be a string, not ${JSON.stringify(value)}`);
    }
  }
  return info;
}

function intervalFrom(request: unknown): IntervalSpec {
  const body = (request as { body?: Record<string, unknown> }).body;
  const interval = body?.interval;
  if (typeof interval === 'string' && interval.trim() !== '')
    return /^\d+$/.test(interval) ? Number(interval) : interval.trim();
  if (typeof interval === 'number') return interval;
  if (typeof body?.cron === 'string' && body.cron.trim() !== '') {
    const timeZone = typeof body.timeZone === 'string' && body.timeZone ? body.timeZone : undefined;
    return timeZone ? { cron: body.cron.trim(), timeZone } : { cron: body.cron.trim() };
  }
  throw new BadRequestException(MESSAGES.badInterval);
}

function wantsPage(request: unknown): boolean {
  const accept = String((request as { headers?: Record<string, unknown> }).headers?.accept ?? '');
  return accept.includes('text/html') && !accept.includes('application/json');
}
