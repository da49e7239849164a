import { checkDuration, type OptionProblem } from '../core/duration';
import { unknownOptionProblems } from '../core/unknown-options';
import type { JobRetention } from './interfaces/job-list.interface';
import { MESSAGES } from './worker.messages';

/** How long ended rows are kept, in ms by state; a state left out is kept forever. */
export interface ResolvedRetention {
  completed?: number;
  canceled?: number;
  failed?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A plain queue's retention unless its worker says: succeeded and canceled 7 days, failed 30. */
export const DEFAULT_RETENTION: Readonly<Required<ResolvedRetention>> = Object.freeze({
  completed: 7 * DAY_MS,
  canceled: 7 * DAY_MS,
  failed: 30 * DAY_MS,
});

const RETENTION_STATES = ['completed', 'canceled', 'failed'] as const;

/**
 * A `@Worker`'s `retention`, read: undefined keeps everything (`false`, or an app's table:
 * its rows are the app's, never deleted; giving `retention` with `table` is a problem). Each
 * bad value is a problem naming `retention.<state>`; an unknown key is refused.
 */
export function resolveRetention(
  retention: JobRetention | false | undefined,
  appTable: string | undefined,
  problems: OptionProblem[],
): ResolvedRetention | undefined {
  if (appTable !== undefined) {
    if (retention !== undefined && retention !== false) {
      problems.push({
        option: 'retention',
        value: retention,
        message: MESSAGES.retentionForAppTable(appTable),
      });
    }
    return undefined;
  }
  if (retention === false) return undefined;
  if (retention === undefined) return { ...DEFAULT_RETENTION };
  if (typeof retention !== 'object' || retention === null || Array.isArray(retention)) {
    problems.push({ option: 'retention', value: retention, message: MESSAGES.notRetention });
    return undefined;
  }
  for (const problem of unknownOptionProblems(
    retention,
    RETENTION_STATES,
    'a state retention applies to',
  )) {
    problems.push({ ...problem, option: `retention.${problem.option}` });
  }
  const resolved: ResolvedRetention = {};
  for (const state of RETENTION_STATES) {
    const value = retention[state];
    if (value === false) continue;
    const ms =
      value === undefined
        ? DEFAULT_RETENTION[state]
        : checkDuration(problems, `retention.${state}`, value);
    if (ms !== undefined) resolved[state] = ms;
  }
  return resolved;
}
