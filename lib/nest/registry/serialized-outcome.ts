import { describeError, summarizeError, type RunOutcome } from '../../core';
import type {
  RegisteredRunOutcome,
  SerializedError,
} from '../interfaces/registered-routine.interface';

/** A run's outcome as the registry shows it: its error, if any, as plain data. */
export function serializeOutcome(outcome: RunOutcome): RegisteredRunOutcome {
  if (outcome.error === undefined) return outcome as RegisteredRunOutcome;
  return { ...outcome, error: serializeError(outcome.error) };
}

/** `{ name, message }` for JSON, with a non-enumerable `stack` for code that reads it. */
export function serializeError(error: unknown): SerializedError {
  const serialized: SerializedError = summarizeError(error);
  const { stack } = describeError(error);
  if (stack !== undefined) {
    Object.defineProperty(serialized, 'stack', { value: stack, enumerable: false });
  }
  return serialized;
}
