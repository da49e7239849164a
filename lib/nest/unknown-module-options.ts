import { RoutinesConfigurationError, unknownOptionProblems } from '../core';
import type { RoutinesModuleOptions } from './interfaces/routines-module-options.interface';
import { MODULE_OPTION_NAMES } from './module-option-names';

/**
 * Throws when the module options hold a key the module does not know: `shutdownTimout` would
 * otherwise be ignored and the timeout stay at its default. `source` is the call that gave
 * them: `RoutinesModule.forRoot` or `RoutinesModule.forRootAsync`.
 */
export function refuseUnknownModuleOptions(options: unknown, source: string): void {
  if (typeof options !== 'object' || options === null) return;
  const problems = unknownOptionProblems(options, MODULE_OPTION_NAMES, 'a module option');
  if (problems.length > 0) {
    throw new RoutinesConfigurationError(problems.map((problem) => ({ ...problem, source })));
  }
}

/** A `useFactory` whose result is checked as it resolves. */
export function checkedOptionsFactory(
  factory: (...args: never[]) => RoutinesModuleOptions | Promise<RoutinesModuleOptions>,
  source: string,
): (...args: never[]) => Promise<RoutinesModuleOptions> {
  return async (...args) => {
    const options = await factory(...args);
    refuseUnknownModuleOptions(options, source);
    return options;
  };
}
