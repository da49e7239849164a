import { Injectable, Logger } from '@nestjs/common';
import { Periodic, type RunContext } from 'nestjs-routines';
import { JobQueue } from './job-queue';

/**
 * An interval function: it is read after each run, so what a run saw decides the very next
 * wait. While jobs are waiting the depth is reported every 2 s; after each quiet run the
 * reporter waits longer, up to 30 s. (Decorator options have no `this`: the state the function
 * reads is static.)
 */
@Injectable()
export class QueueDepthReporter {
  private static quietRuns = 0;
  private readonly logger = new Logger(QueueDepthReporter.name);

  constructor(private readonly queue: JobQueue) {}

  static nextWait(): string {
    const quiet = QueueDepthReporter.quietRuns;
    return quiet === 0 ? '2s' : quiet < 5 ? '10s' : '30s';
  }

  @Periodic({
    name: 'queue-depth-reporter',
    interval: () => QueueDepthReporter.nextWait(),
    description: 'reports the job queue depth; slower while the queue stays empty',
  })
  report(_signal: AbortSignal, ctx: RunContext): void {
    const depth = this.queue.size;
    QueueDepthReporter.quietRuns = depth === 0 ? QueueDepthReporter.quietRuns + 1 : 0;
    if (depth > 0 || QueueDepthReporter.quietRuns === 1) {
      this.logger.log(
        `run #${ctx.runId}: ${depth} job(s) waiting; next report in ${QueueDepthReporter.nextWait()}`,
      );
    }
  }
}
