import { CronTime } from 'cron';
import type { OptionProblem } from './duration';

/**
 * A cron schedule, as `@nestjs/schedule` takes it (`CronExpression` constants work):
 * five or six fields, seconds first when six, in `timeZone` (IANA name) or the process's.
 */
export interface CronSpec {
  cron: string;
  timeZone?: string;
}

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

/**
 * The first cron time strictly after `time`, as wall times in the cron's zone: a local time
 * that does not exist (skipped by a spring-forward change) is skipped, as Quartz and Temporal
 * do; a local time that happens twice (a fall-back change) fires once, at its first instant.
 * The cron package moves a missing time to the next hour (and, for Lord Howe's 30-minute
 * change, fires half an hour early), so every time it gives is checked against the
 * expression's hour, minute and second in the zone.
 */
export function nextCronTime(cron: CronTime, time: number): number {
  let from = new Date(time);
  for (let looked = 0; looked < MAX_DST_SKIPS; looked++) {
    const next = nextDateFrom(cron, from);
    if (matchesWallTime(cron, next) && !isRepeatedWallTime(next)) return next.toMillis();
    from = new Date(next.toMillis());
  }
  throw new RangeError(
    `cron '${cron.source}': no time found after ${new Date(time).toISOString()}`,
  );
}

/**
 * `cron.getNextDateFrom`, past the cron package's horizon. The package gives up on a time more
 * than 8 years after the real present (luxon's `DateTime.now()`), not after `from`: a
 * leap-day cron's third time, or any time on a clock set years ahead, threw its raw error. So
 * when it gives up, it is asked again with luxon's present moved to `from`, for that one
 * synchronous call (restored before anything else runs); a cron with no time in the 8 years
 * after `from` then fails with the library's own error.
 */
function nextDateFrom(cron: CronTime, from: Date): ZonedTime {
  try {
    return cron.getNextDateFrom(from, cron.timeZone);
  } catch (error) {
    if (!isPastHorizon(error)) throw error;
  }
  const DateTime = cronDateTime();
  const realNow = DateTime.now;
  DateTime.now = () => DateTime.fromMillis(from.getTime());
  try {
    return cron.getNextDateFrom(from, cron.timeZone);
  } catch (error) {
    if (!isPastHorizon(error)) throw error;
    throw new RangeError(
      `cron '${String(cron.source)}': no time in the 8 years after ${from.toISOString()}`,
    );
  } finally {
    DateTime.now = realNow;
  }
}

/** The cron package's "No execution date was found in the next 8 years". */
function isPastHorizon(error: unknown): boolean {
  return error instanceof Error && /no execution date was found/i.test(error.message);
}

type LuxonDateTime = { now(): unknown; fromMillis(ms: number): unknown };
let cronsDateTime: LuxonDateTime | undefined;

/** The luxon `DateTime` class the cron package itself uses (not a copy an app may also have). */
function cronDateTime(): LuxonDateTime {
  if (cronsDateTime === undefined) {
    const source = new CronTime(new Date(0)).source as object;
    cronsDateTime = (Object.getPrototypeOf(source) as { constructor: LuxonDateTime }).constructor;
  }
  return cronsDateTime;
}

/** Candidates skipped in a row before giving up: a day of every-second times is 86,400. */
const MAX_DST_SKIPS = 100_000;

type ZonedTime = ReturnType<CronTime['getNextDateFrom']>;

/** Whether the time's hour, minute and second in its zone are the expression's. */
function matchesWallTime(cron: CronTime, time: ZonedTime): boolean {
  const fields = cron as unknown as Record<'second' | 'minute' | 'hour', Record<number, boolean>>;
  return (
    fields.second[time.second] === true &&
    fields.minute[time.minute] === true &&
    fields.hour[time.hour] === true
  );
}

/** Offsets a zone's change moves by: most move an hour, Lord Howe half an hour, a few two hours. */
const DST_SHIFTS_MINUTES = [30, 60, 120];

/** Whether the same local time happened earlier (a fall-back change repeats it): the second one. */
function isRepeatedWallTime(time: ZonedTime): boolean {
  for (const shift of DST_SHIFTS_MINUTES) {
    if (time.minus({ minutes: shift }).offset - time.offset === shift) return true;
  }
  return false;
}

/** Cron times counted one by one after a stall before the rest of the count is estimated. */
const MAX_COUNTED_CRON_TIMES = 8;

/**
 * After a stall: the latest cron time at or before `now` (given that the one after `due` has
 * passed), how many cron times from `due` on it supersedes, and the first few of them. Found
 * by searching back from `now` in doubling steps, then bisecting, over "the first cron time
 * after t" (each lookup costs the cron package 0.1 to 0.5 ms): a week asleep on a per-second
 * cron takes a few dozen lookups, not six hundred thousand. The count is exact up to 8 and
 * estimated from the mean gap of those beyond that.
 */
export function cronCatchUp(
  cron: CronTime,
  due: number,
  now: number,
): { latest: number; missed: number; first: number[] } {
  let latest = latestCronTimeBy(cron, due, now);
  const first: number[] = [];
  let time = due;
  while (time < latest && first.length < MAX_COUNTED_CRON_TIMES) {
    first.push(time);
    time = nextCronTime(cron, time);
  }
  let missed = first.length;
  if (time < latest) {
    const meanGap = (time - due) / missed;
    missed += Math.max(1, Math.round((latest - time) / meanGap));
  } else latest = time;
  return { latest, missed, first };
}

/** The latest cron time at or before `now`, knowing that the first after `due` is. */
function latestCronTimeBy(cron: CronTime, due: number, now: number): number {
  const floor = nextCronTime(cron, due);
  return latestFrom(cron, now, searchBack(cron, now, now - floor) ?? floor);
}

/** How far back `previousCronTime` looks: a cron that fires yearly still has a previous time. */
const MAX_LOOK_BACK_MS = 400 * 24 * 3600_000;

/**
 * The latest cron time at or before `time`, or undefined if there is none in the last 400
 * days. Found without stepping from the past: a doubling search back from `time`, then a few
 * steps or a bisection, as in `cronCatchUp`.
 */
export function previousCronTime(cron: CronTime, time: number): number | undefined {
  const found = searchBack(cron, time, MAX_LOOK_BACK_MS);
  return found === undefined ? undefined : latestFrom(cron, time, found);
}

/**
 * A cron time at or before `time`, close to it: looks back 1 s, 2 s, 4 s... up to `maxBack`,
 * so the gap to the latest one is at most the step at which one was found.
 */
function searchBack(cron: CronTime, time: number, maxBack: number): number | undefined {
  for (let back = 1000; back <= maxBack; back *= 2) {
    const candidate = nextCronTime(cron, time - back);
    if (candidate <= time) return candidate;
  }
  return undefined;
}

/** The latest cron time at or before `now`, given `lower`, a cron time at or before it. */
function latestFrom(cron: CronTime, now: number, lower: number): number {
  let upper = now;
  for (let steps = 0; ; steps++) {
    const next = nextCronTime(cron, lower);
    if (next > now) return lower;
    lower = next;
    if (steps === 8) break; // many cron times in the window: bisect instead of stepping
  }
  while (upper - lower > 1) {
    const middle = Math.floor((lower + upper) / 2);
    const candidate = nextCronTime(cron, middle);
    if (candidate <= now) lower = candidate;
    else upper = middle;
  }
  return lower;
}
