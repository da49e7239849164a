import { MESSAGES } from './core.messages';
import type { OptionProblem } from './duration';
import { throwIfProblems } from './errors';
import { PERIODIC_ROUTINE_OPTION_NAMES } from './option-names';
import { unknownOptionProblems } from './unknown-options';
import { toPeriodicHandler, type HandlerFunction, type PeriodicHandler } from './periodic-handler';
import {
  resolvePeriodicOptions,
  type PeriodicRoutineOptions,
  type ResolvedPeriodicOptions,
} from './periodic-options';

/** The options checked (unless the Nest adapter did), the handler, and the routine's name. */
export function checkedOptions(
  handler: PeriodicHandler | HandlerFunction,
  options: PeriodicRoutineOptions,
  checked: ResolvedPeriodicOptions | undefined,
): { periodicHandler: PeriodicHandler; resolved: ResolvedPeriodicOptions; name: string } {
  const periodicHandler = toPeriodicHandler(handler);
  const problems: OptionProblem[] = [];
  if (checked === undefined) {
    problems.push(...unknownOptionProblems(options, PERIODIC_ROUTINE_OPTION_NAMES));
  }
  const resolved = checked ?? resolvePeriodicOptions(options, problems);
  if (typeof periodicHandler.handle !== 'function') {
    problems.push({ option: 'handler', value: handler, message: MESSAGES.periodicHandler });
  }
  const name =
    options.name ?? (typeof handler === 'function' && handler.name ? handler.name : 'periodic');
  throwIfProblems(problems, name, `PeriodicRoutine '${name}'`);
  const coordinator = options.coordinator;
  const buffers = resolved.overlap !== 'skip' && resolved.overlap !== 'allow';
  if (options.scope === 'cluster' && coordinator && !coordinator.runs && buffers) {
    const message = MESSAGES.noRunMarkers(coordinator.kind, resolved.overlap);
    const problem = { option: 'overlap', value: resolved.overlap, message };
    throwIfProblems([problem], name, `PeriodicRoutine '${name}'`);
  }
  return { periodicHandler, resolved, name };
}
