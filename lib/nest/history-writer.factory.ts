import type { Clock, Coordinator, RoutineLogger } from '../core';
import { HistoryWriter, type HistoryWriterSettings } from '../observability/history-writer';
import type { ResolvedHistory } from './history-options';

/** How the module's writer batches and prunes: not options (yet), stated here. */
const WRITER_DEFAULTS = {
  flushEveryMs: 1_000,
  batchSize: 500,
  maxBuffered: 10_000,
  keepHoursForMs: 7 * 86_400_000,
  keepDaysForMs: 90 * 86_400_000,
  pruneEveryMs: 5 * 60_000,
  callTimeoutMs: 5_000,
} as const;

/** The writer of the coordinator's run history, when the module option `history` asks for it. */
export function historyWriterFor(
  history: ResolvedHistory,
  coordinator: Coordinator,
  replica: string,
  clock: Clock,
  logger: RoutineLogger,
): HistoryWriter | undefined {
  const store = coordinator.history;
  if (!history.engine || !store) return undefined;
  const settings: HistoryWriterSettings = {
    ...WRITER_DEFAULTS,
    keepForMs: history.keepForMs,
    keepRuns: history.keepRuns,
  };
  return new HistoryWriter(coordinator, store, replica, clock, logger, settings);
}
