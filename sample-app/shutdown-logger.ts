import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
} from '@nestjs/common';

/**
 * Makes the shutdown order visible in the log. RoutinesModule drains routines in
 * `onModuleDestroy`, the first shutdown step, so by `beforeApplicationShutdown` every run has
 * finished while the HTTP server and any pools were still there for it.
 */
@Injectable()
export class ShutdownLogger implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private closingSince = 0;

  beforeApplicationShutdown(signal?: string): void {
    this.closingSince = Date.now();
    this.logger.log(`${signal ?? 'close()'}: routines have stopped; closing the HTTP server`);
  }

  onApplicationShutdown(): void {
    this.logger.log(`HTTP server closed in ${Date.now() - this.closingSince} ms; bye`);
  }
}
