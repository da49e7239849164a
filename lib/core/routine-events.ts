import { MESSAGES } from './core.messages';
import { reportError, type RoutineLogger } from './logger';
import type { RoutineEvent, RoutineEventListener } from './routine';

/** Whether anyone listens: a listener may say it has no subscriber right now (`observed: false`). */
export function wantsEvents(
  listener: RoutineEventListener | undefined,
): listener is RoutineEventListener {
  return listener !== undefined && listener.observed !== false;
}

/** Delivers an event; a listener that throws is logged, never allowed to reach the routine. */
export function emitEvent(
  listener: RoutineEventListener | undefined,
  logger: RoutineLogger,
  event: RoutineEvent,
): void {
  if (!wantsEvents(listener)) return;
  try {
    listener(event);
  } catch (error) {
    reportError(logger, MESSAGES.listenerThrew, error);
  }
}
