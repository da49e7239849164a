import { Module } from '@nestjs/common';
import { JobQueue } from './job-queue';
import { JobsController } from './jobs.controller';
import { QueueConsumer } from './queue-consumer';

@Module({
  controllers: [JobsController],
  providers: [JobQueue, QueueConsumer],
  exports: [JobQueue],
})
export class QueueModule {}
