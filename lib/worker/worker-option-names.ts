import { type EveryKeyListed, type UnlistedKeys } from '../core';
import type { WorkerDecoratorOptions } from '../nest/interfaces/worker-decorator-options.interface';

/** The options `@Worker` knows; any other key is refused with the likely one (`retenion`). */
export const WORKER_OPTION_NAMES = [
  'name',
  'table',
  'description',
  'columns',
  'order',
  'concurrency',
  'maxAttempts',
  'timeout',
  'pollInterval',
  'heartbeat',
  'stalledAfter',
  'maxResets',
  'backoff',
  'retention',
  'enabled',
] as const satisfies readonly (keyof WorkerDecoratorOptions)[];
type _EveryWorkerOption = EveryKeyListed<
  UnlistedKeys<WorkerDecoratorOptions, typeof WORKER_OPTION_NAMES>
>;
