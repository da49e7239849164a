import { SetMetadata } from '@nestjs/common';
import { WORKER_METADATA } from '../constants';
import type { WorkerDecoratorOptions } from '../interfaces/worker-decorator-options.interface';
import { recordWorker } from './declared-classes';

/**
 * A DB-backed worker over rows of the app's own table: each row whose state is `queued` (or
 * `errored` and due again) is handed to `handle(row, job)`, with heartbeats, retries, stalled
 * rows reset, cancellation through the `cancel` column, and rows handed back on shutdown.
 * Needs `RoutinesModule.forRoot({ workerStore: new PostgresWorkerStore(pool) })`.
 *
 * @example
 * @Worker({ name: 'upload-processor', table: 'uploads', concurrency: 4, timeout: '10m' })
 * @Injectable()
 * export class UploadProcessor implements WorkerHandler<UploadRow> {
 *   async handle(upload: UploadRow, job: JobContext) {
 *     await this.thumbnails.render(upload.path, { signal: job.signal });
 *   }
 * }
 */
export function Worker(options: WorkerDecoratorOptions): ClassDecorator {
  const setMetadata = SetMetadata(WORKER_METADATA, options);
  return (target) => {
    recordWorker(target, { ...options });
    setMetadata(target);
  };
}
