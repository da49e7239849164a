import { Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module';
import { UploadJanitor } from './upload-janitor';
import { UploadsController } from './uploads.controller';
import { UploadsService } from './uploads.service';
import { UploadsStore } from './uploads.store';

@Module({
  imports: [QueueModule],
  controllers: [UploadsController],
  // UploadJanitor is an ordinary provider: RoutinesModule finds its @Periodic method.
  providers: [UploadsStore, UploadsService, UploadJanitor],
})
export class UploadsModule {}
