import { unknownOptionProblems, type ConfigurationProblem } from '../core';
import type { RoutinesWarnings } from './interfaces/routines-module-options.interface';
import { WARNING_NAMES } from './module-option-names';
import { MESSAGES } from './nest.messages';

/** The module option `warnings`: an object of known switches, each true or false. */
export function warningsOptionProblems(warnings: unknown): ConfigurationProblem[] {
  if (warnings === undefined) return [];
  if (typeof warnings !== 'object' || warnings === null || Array.isArray(warnings)) {
    return [{ option: 'warnings', value: warnings, message: MESSAGES.warningsObject }];
  }
  const problems: ConfigurationProblem[] = unknownOptionProblems(
    warnings,
    WARNING_NAMES,
    'an option of warnings',
  ).map((problem) => ({ ...problem, option: `warnings.${problem.option}` }));
  for (const name of WARNING_NAMES) {
    const value = (warnings as RoutinesWarnings)[name];
    if (value === undefined || typeof value === 'boolean') continue;
    if (name === 'unprovidedClasses' && isExceptList(value)) continue;
    problems.push({
      option: `warnings.${name}`,
      value,
      message: name === 'unprovidedClasses' ? MESSAGES.unprovidedSwitch : MESSAGES.notBoolean,
    });
  }
  return problems;
}

/** `{ except: [SomeClass, ...] }`, and nothing else in the object. */
function isExceptList(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { except, ...rest } = value as { except?: unknown };
  return (
    Object.keys(rest).length === 0 &&
    Array.isArray(except) &&
    except.every((type) => typeof type === 'function')
  );
}
