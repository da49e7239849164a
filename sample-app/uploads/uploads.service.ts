import { Injectable, NotFoundException } from '@nestjs/common';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { JobQueue } from '../queue/job-queue';
import { UploadsStore, type Upload } from './uploads.store';

const HARD_DELETE_BATCH = 100;

@Injectable()
export class UploadsService {
  constructor(
    private readonly store: UploadsStore,
    private readonly jobs: JobQueue,
  ) {}

  create(name: string): Upload {
    const upload = this.store.insert(name);
    // Slow work happens off the request path: the queue consumer makes the thumbnail.
    this.jobs.push('thumbnail', { uploadId: upload.id, name: upload.name });
    return upload;
  }

  findAll(options: { includeDeleted?: boolean } = {}): Upload[] {
    return this.store.findAll(options);
  }

  softDelete(id: number): Upload {
    const upload = this.store.findOne(id);
    if (!upload || upload.deletedAt) throw new NotFoundException(`No upload with id ${id}`);
    upload.deletedAt = new Date();
    return upload;
  }

  /**
   * Hard-deletes uploads soft-deleted before `cutoff`, a batch at a time, and returns how many
   * it removed. It checks `signal` between batches: on shutdown it stops after the current
   * batch instead of holding the process up until the backlog is gone.
   */
  async hardDeleteSoftDeletedBefore(cutoff: Date, signal: AbortSignal): Promise<number> {
    let deleted = 0;
    while (!signal.aborted) {
      const batch = this.store.findSoftDeletedBefore(cutoff, HARD_DELETE_BATCH);
      if (batch.length === 0) break;
      this.store.remove(batch.map((upload) => upload.id));
      deleted += batch.length;
      await yieldToEventLoop(); // where a real store would await its DELETE round trip
    }
    return deleted;
  }
}
