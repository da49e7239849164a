import ms from 'ms';
import { unknownOptionProblems, type ConfigurationProblem, type Coordinator } from '../core';
import { DEFAULT_HISTORY } from './constants';
import type { RoutinesModuleOptions } from './interfaces/routines-module-options.interface';
import { HISTORY_OPTION_NAMES } from './module-option-names';
import { MESSAGES } from './nest.messages';

/** Beyond this a ring per routine costs more memory than a history is worth in process. */
export const MAX_HISTORY = 10_000;
/** Default `history.keepFor`: a week, as the hourly stats. */
export const DEFAULT_KEEP_FOR_MS = 7 * 86_400_000;
/** Default `history.keepRuns`. */
export const DEFAULT_KEEP_RUNS = 10_000;
const MAX_KEEP_FOR_MS = 366 * 86_400_000;
const MAX_KEEP_RUNS = 1_000_000;

/** The module option `history`, checked, with its defaults. */
export interface ResolvedHistory {
  /** The ring's size per routine; 0: none. */
  limit: number;
  /** Whether runs go to the coordinator's run history. */
  engine: boolean;
  keepForMs: number;
  keepRuns: number;
}

/** Every problem of the module option `history` (a number, or an object of known settings). */
export function historyOptionProblems(
  options: RoutinesModuleOptions | undefined,
): ConfigurationProblem[] {
  const history = options?.history;
  if (history === undefined) return [];
  if (typeof history !== 'object' || history === null || Array.isArray(history)) {
    return limitProblems('history', history, MESSAGES.badHistoryOption(MAX_HISTORY));
  }
  const problems: ConfigurationProblem[] = unknownOptionProblems(
    history,
    HISTORY_OPTION_NAMES,
    'an option of history',
  ).map((problem) => ({ ...problem, option: `history.${problem.option}` }));
  if (history.limit !== undefined) problems.push(...limitProblems('history.limit', history.limit));
  const { engine, keepRuns, keepFor } = history;
  if (engine !== undefined && typeof engine !== 'boolean') {
    problems.push({ option: 'history.engine', value: engine, message: MESSAGES.notBoolean });
  } else if (engine === true && options?.coordinator && !hasHistory(options.coordinator)) {
    problems.push({
      option: 'history.engine',
      value: engine,
      message: MESSAGES.noEngineHistory(options.coordinator.kind),
    });
  }
  if (
    keepRuns !== undefined &&
    !(Number.isInteger(keepRuns) && keepRuns >= 1 && keepRuns <= MAX_KEEP_RUNS)
  ) {
    problems.push({
      option: 'history.keepRuns',
      value: keepRuns,
      message: MESSAGES.badKeepRuns(MAX_KEEP_RUNS),
    });
  }
  if (keepFor !== undefined && retentionMs(keepFor) === undefined) {
    problems.push({ option: 'history.keepFor', value: keepFor, message: MESSAGES.badKeepFor });
  }
  return problems;
}

/** The option with its defaults; call once `historyOptionProblems` found nothing. */
export function resolveHistory(
  options: RoutinesModuleOptions | undefined,
  coordinator: Coordinator,
): ResolvedHistory {
  const history = options?.history;
  const settings = typeof history === 'object' && history !== null ? history : {};
  const limit = typeof history === 'number' ? history : (settings.limit ?? DEFAULT_HISTORY);
  // The in-memory coordinator's history would hold what the ring holds, a second time.
  const shared = coordinator.kind !== 'memory';
  return {
    limit,
    engine: hasHistory(coordinator) && (settings.engine ?? shared),
    keepForMs:
      settings.keepFor === undefined ? DEFAULT_KEEP_FOR_MS : retentionMs(settings.keepFor)!,
    keepRuns: settings.keepRuns ?? DEFAULT_KEEP_RUNS,
  };
}

function hasHistory(coordinator: Coordinator): boolean {
  const history = coordinator.history as { append?: unknown } | undefined;
  return typeof history?.append === 'function';
}

function limitProblems(
  option: string,
  value: unknown,
  message = MESSAGES.badHistory(MAX_HISTORY),
): ConfigurationProblem[] {
  if (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_HISTORY)
    return [];
  return [{ option, value, message }];
}

/**
 * A retention: a duration of at least a minute and at most 366 days. Not `checkDuration`,
 * which stops at a timer's 24.8 days: no timer waits this long.
 */
function retentionMs(value: unknown): number | undefined {
  let parsed: number | undefined;
  try {
    parsed =
      typeof value === 'number'
        ? value
        : typeof value === 'string'
          ? ms(value as ms.StringValue)
          : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || !Number.isFinite(parsed)) return undefined;
  if (parsed < 60_000 || parsed > MAX_KEEP_FOR_MS) return undefined;
  return Math.round(parsed);
}
