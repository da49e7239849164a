import { Module } from '@nestjs/common';
import { JobQueue } from './job-queue';
import { JobsController } from './jobs.controller';
import { QueueConsumer } from './queue-consumer';
import { QueueDepthReporter } from './queue-depth-reporter';

@Module({
  controllers: [JobsController],
  providers: [JobQueue, QueueConsumer, QueueDepthReporter],
  exports: [JobQueue],
})
export class QueueModule {}
