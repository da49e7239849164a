import { MESSAGES } from './core.messages';
import { describeError } from './logger';

/** What `ctx.previous` keeps of a handler's returned value, at most. */
export const MAX_PREVIOUS_BYTES = 8192;

/**
 * What a handler returned, as a JSON copy for `ctx.previous`, or undefined when it is not
 * JSON or larger than {@link MAX_PREVIOUS_BYTES}: then `refused` hears why.
 */
export function keptValue(value: unknown, refused: (why: string) => void): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    refused(MESSAGES.previousNotJson(describeError(error).message));
    return undefined;
  }
  if (text === undefined) return undefined;
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_PREVIOUS_BYTES) {
    refused(MESSAGES.previousTooLarge(bytes, MAX_PREVIOUS_BYTES));
    return undefined;
  }
  return JSON.parse(text) as unknown;
}
