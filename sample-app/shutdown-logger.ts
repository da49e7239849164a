import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';

/**
 * Makes the shutdown order visible in the log. RoutinesModule drains routines before any
 * other provider's `onModuleDestroy`, so by the time this one runs (where a Prisma service
 * would disconnect) every run has finished while the HTTP server and every client were still
 * there for it.
 */
@Injectable()
export class ShutdownLogger
  implements OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger('Shutdown');
  private closingSince = 0;

  onModuleDestroy(): void {
    this.logger.log('routines have drained; providers may now close their clients');
  }

  beforeApplicationShutdown(signal?: string): void {
    this.closingSince = Date.now();
    this.logger.log(`${signal ?? 'close()'}: closing the HTTP server`);
  }

  onApplicationShutdown(): void {
    this.logger.log(`HTTP server closed in ${Date.now() - this.closingSince} ms; bye`);
  }
}
