import { BadRequestException, Body, Controller, Post } from '@nestjs/common';
import { JobQueue, type Job } from './job-queue';

@Controller('jobs')
export class JobsController {
  constructor(private readonly queue: JobQueue) {}

  /** POST /jobs {"type": "thumbnail", "payload": {...}} enqueues a job for the queue consumer. */
  @Post()
  enqueue(@Body() body: { type?: unknown; payload?: unknown }): Job {
    if (typeof body?.type !== 'string' || body.type === '') {
      throw new BadRequestException('type must be a non-empty string');
    }
    const payload =
      typeof body.payload === 'object' && body.payload !== null
        ? (body.payload as Record<string, unknown>)
        : {};
    return this.queue.push(body.type, payload);
  }
}
