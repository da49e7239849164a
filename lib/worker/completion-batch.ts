import { jobKey, type ClaimedJob } from './claimed-job';
import type { WorkerTablePort } from './worker-table.port';

/**
 * Completions that end close together go in one statement: one round trip for all of them, and
 * the slots they free are refilled by one dequeue (measured, bench P8). A batch is what ended
 * in one turn of the event loop: it is written at the next `setImmediate`, which is an ordering
 * of the event loop, not a time, so it needs no clock.
 */
export class CompletionBatch<Row> {
  private pending: Array<{
    job: ClaimedJob<Row>;
    resolve: (done: boolean) => void;
    reject: (error: unknown) => void;
  }> = [];

  constructor(private readonly table: WorkerTablePort<Row>) {}

  /** Completes `job` with the others of its batch: true if the row was still ours. */
  complete(job: ClaimedJob<Row>): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.pending.push({ job, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending.splice(0);
    try {
      const done = await this.table.completeAll(batch.map((entry) => entry.job));
      for (const entry of batch) entry.resolve(done.has(jobKey(entry.job)));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }
}
