import { checkDuration, type OptionProblem } from './duration';
import { MESSAGES } from './core.messages';
import { CATCH_UP_ONCE, MAX_CATCH_UP, type CatchUpOptions, type CatchUpPolicy } from './catch-up';
import type { EveryKeyListed, UnlistedKeys } from './option-names';
import type { PeriodicOptions } from './periodic-option-types';
import type { ParsedInterval } from './schedule';

/** The keys of `catchup`; any other is refused (the message names these two). */
const CATCH_UP_OPTION_NAMES = [
  'window',
  'max',
] as const satisfies readonly (keyof CatchUpOptions)[];
type _EveryCatchUpOption = EveryKeyListed<
  UnlistedKeys<CatchUpOptions, typeof CATCH_UP_OPTION_NAMES>
>;

/** `catchup` (or its shorthand `missed`): a window of zero or more, `max` from 1, a schedule with due times. */
export function checkCatchUp(
  problems: OptionProblem[],
  options: PeriodicOptions,
  interval: ParsedInterval,
): CatchUpPolicy | undefined {
  const { catchup, missed } = options;
  if (catchup === undefined) return missed === 'once' ? CATCH_UP_ONCE : undefined;
  if (missed !== undefined) {
    problems.push({ option: 'missed', value: missed, message: MESSAGES.missedWithCatchUp });
  }
  if (typeof catchup !== 'object' || catchup === null) {
    problems.push({ option: 'catchup', value: catchup, message: MESSAGES.badCatchUp });
    return undefined;
  }
  for (const key of Object.keys(catchup)) {
    if (!(CATCH_UP_OPTION_NAMES as readonly string[]).includes(key)) {
      problems.push({
        option: `catchup.${key}`,
        value: (catchup as unknown as Record<string, unknown>)[key],
        message: MESSAGES.unknownCatchUpKey,
      });
    }
  }
  const windowMs =
    catchup.window === Infinity
      ? Infinity
      : catchup.window === undefined
        ? (problems.push({
            option: 'catchup.window',
            value: undefined,
            message: MESSAGES.catchUpWindowMissing,
          }),
          undefined)
        : checkDuration(problems, 'catchup.window', catchup.window, { allowZero: true });
  const max = catchup.max ?? 1;
  if (!Number.isInteger(max) || max < 1 || max > MAX_CATCH_UP) {
    problems.push({ option: 'catchup.max', value: catchup.max, message: MESSAGES.badCatchUpMax });
  }
  if (interval.intervalFn) {
    problems.push({ option: 'catchup', value: catchup, message: MESSAGES.catchUpNeedsDueTimes });
  }
  return windowMs === undefined ? undefined : { windowMs, max };
}
