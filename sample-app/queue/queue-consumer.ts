import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackgroundRoutine } from 'nestjs-routines';
import { JobQueue, type Job } from './job-queue';

/** How long a thumbnail takes (a demo stand-in; the SIGTERM test makes it longer). */
const THUMBNAIL_MS = Number(process.env.THUMBNAIL_MS) || 300;

/** Takes jobs off the queue one at a time, for as long as the app runs. */
@Injectable()
export class QueueConsumer {
  private readonly logger = new Logger(QueueConsumer.name);

  constructor(private readonly queue: JobQueue) {}

  // If consume() throws, the routine is restarted after 1 s, 2 s, 4 s...; a sixth failure
  // within a minute marks it failed (GET /routines shows it) and the app keeps serving.
  @BackgroundRoutine({
    name: 'queue-consumer',
    description: 'processes queued jobs (thumbnails for new uploads, ...)',
    restart: { maxRestarts: 5, within: '1m', initialDelay: '1s', maxDelay: '10s' },
  })
  async consume(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const job = await this.queue.take(signal);
      if (!job) break; // shutting down
      await this.process(job);
    }
  }

  // A job is short, so one in progress at shutdown is finished rather than left half done:
  // the signal is checked between jobs. A long job would take the signal too.
  private async process(job: Job): Promise<void> {
    const startedAt = Date.now();
    switch (job.type) {
      case 'thumbnail':
        await sleep(THUMBNAIL_MS); // stands in for resizing an image
        break;
      case 'poison':
        // Shows the restart policy at work: POST /jobs {"type":"poison"}.
        throw new Error(`job #${job.id} is poison`);
      default:
        this.logger.warn(`job #${job.id}: unknown type '${job.type}', dropped`);
        return;
    }
    this.logger.log(
      `job #${job.id} ${job.type} ${JSON.stringify(job.payload)} done in ${Date.now() - startedAt} ms`,
    );
  }
}
