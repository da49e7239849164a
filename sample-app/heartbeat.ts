import { Injectable, Logger } from '@nestjs/common';
import { BackgroundRoutine, RoutinesRegistry } from 'nestjs-routines';

/**
 * A class-style background routine: the Start/Stop pair. `start` runs for the routine's life
 * and `stop` ends it, which suits work built on timers or listeners rather than on a loop.
 */
@BackgroundRoutine({ name: 'heartbeat', description: 'logs a summary every 10 s' })
@Injectable()
export class Heartbeat implements BackgroundRoutine {
  private readonly logger = new Logger(Heartbeat.name);
  private timer: NodeJS.Timeout | undefined;
  private stopped: (() => void) | undefined;

  constructor(private readonly routines: RoutinesRegistry) {}

  start(): Promise<void> {
    this.timer = setInterval(() => this.beat(), 10_000);
    // Resolving this promise is how the routine says it is done; only stop() does that.
    return new Promise((resolve) => (this.stopped = resolve));
  }

  stop(): void {
    clearInterval(this.timer);
    this.stopped?.();
  }

  private beat(): void {
    const states = this.routines.list().map((routine) => `${routine.name}=${routine.state}`);
    this.logger.log(`alive; ${states.join(', ')}`);
  }
}
