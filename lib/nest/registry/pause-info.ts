import type { PauseInfo } from '../../core';
import { MESSAGES } from '../nest.messages';

/** Longest pause note and author kept: a note is for people, not a payload. */
const MAX_NOTE = 1000;
const MAX_BY = 200;

/**
 * @internal `pause()`'s note and author, checked: a RangeError names the routine, the option
 * and the value. The registry's `pause` and the dashboard's cluster-wide pause both check with it.
 */
export function checkPauseInfo(
  name: string,
  options: PauseInfo | undefined,
): PauseInfo | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new RangeError(
      MESSAGES.badPauseOption(name, 'options', options, MESSAGES.pauseOptionsShape),
    );
  }
  for (const [option, max] of [
    ['note', MAX_NOTE],
    ['by', MAX_BY],
  ] as const) {
    const value = options[option];
    if (value !== undefined && (typeof value !== 'string' || value.length > max)) {
      throw new RangeError(
        MESSAGES.badPauseOption(name, option, value, MESSAGES.pauseTextTooLong(max)),
      );
    }
  }
  return options;
}
