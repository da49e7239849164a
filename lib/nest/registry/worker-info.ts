import { jobStats } from '../../observability';
import type { WorkerInfo } from '../interfaces/worker-info.interface';
import { MESSAGES } from '../nest.messages';
import { RoutineActionError } from '../routines.errors';
import type { BuiltWorker } from '../../worker/worker.factory';

/** A built `@Worker` as {@link RoutinesRegistry.worker} shows it. */
export function workerInfo(built: BuiltWorker): WorkerInfo {
  const { name } = built;
  return {
    name,
    get inFlight() {
      return built.worker.inFlight;
    },
    counts: () => built.table.counts(),
    notify: () => built.worker.notify(),
    enqueue: async (payload, options) => {
      if (built.queue === undefined) {
        throw new RoutineActionError(name, 'enqueue', MESSAGES.notAQueue(name));
      }
      const id = await built.store.enqueue(built.queue, payload, options);
      if (!options?.client) built.worker.notify(); // committed already: look now
      return id;
    },
    history: (options = {}) => built.history?.records(options.limit) ?? [],
    stats: () => jobStats(built.history?.records() ?? []),
    jobs: async (query) => {
      const page = await built.table.jobs(query);
      for (const job of page.jobs) job.maxAttempts = built.maxAttempts;
      return page;
    },
    retry: async (filter) => {
      const { maxAttempts, maxResets } = built;
      const result = await built.table.retry(filter, { maxAttempts, maxResets });
      if (result.count > 0) built.worker.notify(); // due now: this replica looks at once
      return result;
    },
    discard: (filter) => built.table.discard(filter),
    cancel: (filter) => built.table.cancel(filter),
  };
}
