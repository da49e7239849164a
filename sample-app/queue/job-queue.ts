import { Injectable } from '@nestjs/common';

export interface Job {
  id: number;
  type: string;
  payload: Record<string, unknown>;
  enqueuedAt: Date;
}

/** An in-memory FIFO job queue, standing in for SQS, RabbitMQ or a jobs table. */
@Injectable()
export class JobQueue {
  private readonly jobs: Job[] = [];
  private readonly waiters = new Set<(job: Job) => void>();
  private nextId = 1;

  get size(): number {
    return this.jobs.length;
  }

  push(type: string, payload: Record<string, unknown> = {}): Job {
    const job: Job = { id: this.nextId++, type, payload, enqueuedAt: new Date() };
    const [waiter] = this.waiters;
    if (waiter) {
      this.waiters.delete(waiter);
      waiter(job);
    } else {
      this.jobs.push(job);
    }
    return job;
  }

  /**
   * The next job, waiting for one if the queue is empty; `undefined` once `signal` aborts, so
   * a consumer blocked on an empty queue wakes up at shutdown instead of holding it up.
   */
  take(signal: AbortSignal): Promise<Job | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    const queued = this.jobs.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.waiters.delete(deliver);
        resolve(undefined);
      };
      const deliver = (job: Job): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(job);
      };
      this.waiters.add(deliver);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
