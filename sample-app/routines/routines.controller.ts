import {
  BadRequestException,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Sse,
  type MessageEvent,
} from '@nestjs/common';
import { RoutinesRegistry } from 'nestjs-routines';
import { map, type Observable } from 'rxjs';
import { errorsAsMessages, toJson } from './to-json';

/** Watch and steer the app's routines at run time. In a real app, put this behind auth. */
@Controller('routines')
export class RoutinesController {
  constructor(private readonly registry: RoutinesRegistry) {}

  @Get()
  list(): unknown {
    return toJson(this.registry.list());
  }

  /**
   * Lifecycle events as server-sent events: `curl -N localhost:3000/routines/events`.
   * Declared before `:name` so that 'events' is not taken for a routine name. The stream
   * ends when the routines stop at shutdown, which lets the HTTP server close.
   */
  @Sse('events')
  events(): Observable<MessageEvent> {
    return this.registry.events$.pipe(
      map((event) => ({ data: JSON.stringify(event, errorsAsMessages) })),
    );
  }

  @Get(':name')
  get(@Param('name') name: string): unknown {
    this.mustExist(name);
    return toJson(this.registry.get(name));
  }

  /** Runs a periodic routine once, now, and answers with the run's outcome. */
  @Post(':name/trigger')
  @HttpCode(200)
  async trigger(@Param('name') name: string): Promise<unknown> {
    this.periodic(name, 'triggered');
    return toJson(await this.registry.trigger(name));
  }

  @Post(':name/pause')
  @HttpCode(200)
  pause(@Param('name') name: string): unknown {
    this.periodic(name, 'paused');
    this.registry.pause(name);
    return toJson(this.registry.get(name));
  }

  @Post(':name/resume')
  @HttpCode(200)
  resume(@Param('name') name: string): unknown {
    this.periodic(name, 'resumed');
    this.registry.resume(name);
    return toJson(this.registry.get(name));
  }

  /** Lets a finished cluster routine run once more, at the replicas' next start. */
  @Post(':name/reset-completion')
  @HttpCode(200)
  async resetCompletion(@Param('name') name: string): Promise<unknown> {
    this.mustExist(name);
    const info = this.registry.get(name);
    if (info.kind !== 'background' || info.scope !== 'cluster') {
      throw new BadRequestException(`'${name}' is not a cluster background routine`);
    }
    await this.registry.resetCompletion(name);
    return { reset: name };
  }

  private mustExist(name: string): void {
    if (!this.registry.has(name)) throw new NotFoundException(`No routine named '${name}'`);
  }

  private periodic(name: string, action: string): void {
    this.mustExist(name);
    if (this.registry.get(name).kind !== 'periodic') {
      throw new BadRequestException(
        `'${name}' is a background routine; only periodic routines can be ${action}`,
      );
    }
  }
}
