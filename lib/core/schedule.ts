import { CronTime } from 'cron';
import { checkDuration, formatDuration, type Duration, type OptionProblem } from './duration';

/**
 * A cron schedule, as `@nestjs/schedule` takes it (`CronExpression` constants work):
 * five or six fields, seconds first when six, in `timeZone` (IANA name) or the process's.
 */
export interface CronSpec {
  cron: string;
  timeZone?: string;
}

/** How often a periodic routine runs: a duration or a cron schedule. */
export type IntervalSpec = Duration | CronSpec;

export function isCronSpec(value: unknown): value is CronSpec {
  return typeof value === 'object' && value !== null && 'cron' in value;
}

/** Parses a cron spec, or records why it cannot. */
export function parseCron(
  spec: CronSpec,
  option: string,
  problems: OptionProblem[],
): CronTime | undefined {
  if (typeof spec.cron !== 'string' || spec.cron.trim() === '') {
    problems.push({ option, value: spec, message: 'needs a cron expression string' });
    return undefined;
  }
  try {
    const cron = new CronTime(spec.cron, spec.timeZone);
    cron.getNextDateFrom(new Date()); // '0 0 30 2 *' parses, but never comes: refuse it now, not at start
    return cron;
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0].trim();
    const bad = /time ?zone/i.test(reason)
      ? `time zone '${spec.timeZone}'`
      : /execution date/i.test(reason)
        ? `cron expression '${spec.cron}' (it never fires)`
        : `cron expression '${spec.cron}'`;
    problems.push({ option, value: spec, message: `has an invalid ${bad}: ${reason}` });
    return undefined;
  }
}

/** The first cron time strictly after `time`. */
export function nextCronTime(cron: CronTime, time: number): number {
  return cron.getNextDateFrom(new Date(time)).toMillis();
}

export function checkInterval(
  problems: OptionProblem[],
  option: string,
  value: unknown,
): { intervalMs?: number; cron?: CronTime; intervalFn?: () => Duration } {
  if (typeof value === 'function') return { intervalFn: value as () => Duration };
  if (isCronSpec(value)) return { cron: parseCron(value, option, problems) };
  return { intervalMs: checkDuration(problems, option, value) };
}

export function describeSchedule(
  intervalMs: number | undefined,
  cron: CronSpec | undefined,
): string {
  if (cron) return `cron ${cron.cron}${cron.timeZone ? ` (${cron.timeZone})` : ''}`;
  return intervalMs === undefined ? 'unscheduled' : `every ${formatDuration(intervalMs)}`;
}
