import { Injectable, Logger } from '@nestjs/common';
import { NonRetryableError, Worker, type JobContext, type WorkerHandler } from 'nestjs-routines';
import { PROCESSED_UPLOADS } from './processing-database';

interface ProcessedUpload {
  id: string;
  path: string;
}

/**
 * Renders a thumbnail for each new row of the uploads table: the INSERT that records the upload
 * is the enqueue. A path without an extension cannot be rendered, ever: it fails at once.
 */
@Worker({
  name: 'thumbnail-renderer',
  table: PROCESSED_UPLOADS,
  description: 'renders a thumbnail per uploaded file',
  concurrency: 2,
  maxAttempts: 3,
  timeout: '30s',
  backoff: { initialDelay: '2s', maxDelay: '1m' },
})
@Injectable()
export class ThumbnailRenderer implements WorkerHandler<ProcessedUpload> {
  private readonly logger = new Logger('ThumbnailRenderer');

  async handle(upload: ProcessedUpload, job: JobContext): Promise<void> {
    if (!/\.\w+$/.test(upload.path))
      throw new NonRetryableError(`'${upload.path}' has no extension`);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the rendering
    if (job.signal.aborted) return;
    this.logger.log(`thumbnail of ${upload.path} (attempt ${job.attempt})`);
  }
}
