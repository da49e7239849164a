import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseIntPipe,
  Post,
  Query,
  Sse,
  UseFilters,
  type MessageEvent,
} from '@nestjs/common';
import { RoutinesRegistry, type IntervalSpec, type OverlapPolicy } from 'nestjs-routines';
import { map, type Observable } from 'rxjs';
import { RoutineErrorsFilter } from './routine-errors.filter';

/**
 * Watch and steer the app's routines at run time. In a real app, put this behind auth.
 * The registry's output is plain JSON (errors as `{ name, message }`), so it is returned as is;
 * its errors become 404 / 409 / 400 through {@link RoutineErrorsFilter}.
 */
@Controller('routines')
@UseFilters(RoutineErrorsFilter)
export class RoutinesController {
  constructor(private readonly registry: RoutinesRegistry) {}

  @Get()
  list(): unknown {
    return this.registry.list();
  }

  /**
   * Lifecycle events as server-sent events: `curl -N localhost:3000/routines/events`.
   * Declared before `:name` so that 'events' is not taken for a routine name. The stream
   * ends when the routines stop at shutdown, which lets the HTTP server close.
   */
  @Sse('events')
  events(): Observable<MessageEvent> {
    return this.registry.events$.pipe(
      // An event's `error` is what the routine threw (an Error serialises to {}).
      map(({ error, ...event }) => ({
        data: JSON.stringify(error === undefined ? event : { ...event, error: String(error) }),
      })),
    );
  }

  @Get(':name')
  get(@Param('name') name: string): unknown {
    return this.registry.get(name);
  }

  /** The last runs, newest first: `curl 'localhost:3000/routines/cache-warmer/history?limit=5'` */
  @Get(':name/history')
  history(
    @Param('name') name: string,
    @Query('limit', new ParseIntPipe({ optional: true })) limit?: number,
  ): unknown {
    return this.registry.history(name, { limit });
  }

  /** `curl 'localhost:3000/routines/report-mailer/next-runs?count=3'` */
  @Get(':name/next-runs')
  nextRuns(
    @Param('name') name: string,
    @Query('count', new ParseIntPipe({ optional: true })) count = 5,
  ): string[] {
    return this.registry.nextRuns(name, count).map((time) => new Date(time).toISOString());
  }

  /**
   * Runs a periodic routine once, now, and answers with the run's outcome. A run in flight
   * makes it `skipped` (`busy`) unless `?overlap=buffer-one` (right after it) or `allow`.
   */
  @Post(':name/trigger')
  @HttpCode(200)
  trigger(@Param('name') name: string, @Query('overlap') overlap?: string): Promise<unknown> {
    return this.registry.trigger(name, overlap ? { overlap: overlap as OverlapPolicy } : undefined);
  }

  /** `curl -X POST -H 'content-type: application/json' -d '{"note":"upstream down","by":"alice"}' .../pause` */
  @Post(':name/pause')
  @HttpCode(200)
  pause(@Param('name') name: string, @Body() body?: { note?: string; by?: string }): unknown {
    this.registry.pause(name, body && { note: body.note, by: body.by });
    return this.registry.get(name);
  }

  /** The schedule in words, its policy, the next 10 due times and the last 10 runs. */
  @Get(':name/describe')
  describe(@Param('name') name: string): unknown {
    return this.registry.describe(name);
  }

  /**
   * Runs the due times of a past range, oldest first:
   * `curl -X POST -H 'content-type: application/json' -d '{"from":"2026-12-03T08:00:00Z","to":"2026-12-03T09:00:00Z"}' .../backfill`
   */
  @Post(':name/backfill')
  @HttpCode(200)
  backfill(@Param('name') name: string, @Body() body: { from?: string; to?: string }): unknown {
    const time = (value: unknown) =>
      typeof value === 'string' ? new Date(value) : (value as number);
    return this.registry.backfill(name, { from: time(body?.from), to: time(body?.to) });
  }

  @Post(':name/resume')
  @HttpCode(200)
  resume(@Param('name') name: string): unknown {
    this.registry.resume(name);
    return this.registry.get(name);
  }

  /** `curl -X POST -H 'content-type: application/json' -d '{"interval":"1m"}' .../interval` */
  @Post(':name/interval')
  @HttpCode(200)
  setInterval(@Param('name') name: string, @Body('interval') interval: IntervalSpec): unknown {
    this.registry.setInterval(name, interval);
    return this.registry.get(name);
  }

  /** Stops a routine (periodic or background) and waits for it; `start` runs it again. */
  @Post(':name/stop')
  @HttpCode(200)
  async stop(@Param('name') name: string): Promise<unknown> {
    await this.registry.stop(name);
    return this.registry.get(name);
  }

  /** Starts a disabled routine, a stopped one, or a background routine that failed or completed. */
  @Post(':name/start')
  @HttpCode(200)
  async start(@Param('name') name: string): Promise<unknown> {
    await this.registry.start(name);
    return this.registry.get(name);
  }

  @Post(':name/restart')
  @HttpCode(200)
  async restart(@Param('name') name: string): Promise<unknown> {
    await this.registry.restart(name);
    return this.registry.get(name);
  }

  /** Lets a finished cluster routine run once more, at the replicas' next start. */
  @Post(':name/reset-completion')
  @HttpCode(200)
  async resetCompletion(@Param('name') name: string): Promise<unknown> {
    await this.registry.resetCompletion(name);
    return { reset: name };
  }
}
