import { Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module';
import { BackfillUploadExtension } from './backfill-upload-extension';
import { UploadJanitor } from './upload-janitor';
import { UploadsController } from './uploads.controller';
import { UploadsService } from './uploads.service';
import { UploadsStore } from './uploads.store';

@Module({
  imports: [QueueModule],
  controllers: [UploadsController],
  // UploadJanitor is an ordinary provider: RoutinesModule finds its @Periodic method, and the
  // @OutOfBandMigration class the same way.
  providers: [UploadsStore, UploadsService, UploadJanitor, BackfillUploadExtension],
})
export class UploadsModule {}
