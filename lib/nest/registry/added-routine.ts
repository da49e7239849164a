import { RoutinesConfigurationError, type ConfigurationProblem } from '../../core';
import type { AddRoutineOptions } from '../interfaces/add-routine-options.interface';
import type { RoutineDeclaration } from '../interfaces/routine-declaration.interface';
import { MESSAGES } from '../nest.messages';
import { buildRoutine, type BuildContext, type BuiltRoutine } from '../routine.factory';
import { ADDED } from './registered-routine';

/**
 * A routine handed to `add()`, checked as a decorated one is and built: every problem at once
 * in a `RoutinesConfigurationError` naming it. `taken` says whether a routine has that name.
 */
export function buildAddedRoutine(
  name: string,
  handler: unknown,
  options: unknown,
  context: BuildContext,
  taken: (name: string) => boolean,
): BuiltRoutine {
  const source = `${ADDED}('${String(name)}')`;
  const { declaration, problems } = addedDeclaration(name, handler, options, source);
  if (declaration && taken(declaration.name)) {
    problems.push({ option: 'name', value: name, message: MESSAGES.nameTaken });
  }
  const built =
    declaration && problems.length === 0
      ? buildRoutine(declaration, context, undefined)
      : undefined;
  const all = [...problems, ...(built?.problems ?? [])].map((problem) => ({
    source,
    routine: String(name),
    ...problem,
  }));
  if (all.length > 0 || !built?.built) throw new RoutinesConfigurationError(all);
  return built.built;
}

/** A routine handed to `add()`, as the factory takes a decorated one; or why it cannot be one. */
function addedDeclaration(
  name: unknown,
  handler: unknown,
  options: unknown,
  source: string,
): { declaration?: RoutineDeclaration; problems: ConfigurationProblem[] } {
  const problems: ConfigurationProblem[] = [];
  if (typeof name !== 'string' || name.trim() === '') {
    problems.push({ option: 'name', value: name, message: MESSAGES.badName });
  }
  if (typeof options !== 'object' || options === null) {
    problems.push({ option: 'options', value: options, message: MESSAGES.addOptions });
    return { problems };
  }
  const { kind = 'periodic', ...rest } = options as AddRoutineOptions;
  if (kind !== 'periodic' && kind !== 'background') {
    problems.push({ option: 'kind', value: kind, message: MESSAGES.badKind });
    return { problems };
  }
  const entryPoint = kind === 'periodic' ? 'handle' : 'start';
  const instance = handlerInstance(handler, entryPoint);
  if (!instance) {
    problems.push({
      option: 'handler',
      value: handler,
      message: MESSAGES.badHandler(kind, entryPoint),
    });
  }
  if (problems.length > 0) return { problems };
  return {
    declaration: { kind, name: name as string, source, instance: instance!, options: rest },
    problems,
  };
}

/** The object the routine calls: a function becomes its entry point; an object must have it. */
function handlerInstance(handler: unknown, entryPoint: 'handle' | 'start'): object | undefined {
  if (typeof handler === 'function') return { [entryPoint]: handler };
  return typeof handler === 'object' &&
    handler !== null &&
    typeof (handler as Record<string, unknown>)[entryPoint] === 'function'
    ? handler
    : undefined;
}
