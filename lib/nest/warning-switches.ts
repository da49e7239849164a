import type { RoutinesModuleOptions } from './interfaces/routines-module-options.interface';
import type { WARNING_NAMES } from './module-option-names';
import { underTestRunner } from './test-runner';

/** Whether a boot warning is on: as the module options say, else on unless under a test runner. */
export function warningOn(
  options: RoutinesModuleOptions | undefined,
  name: (typeof WARNING_NAMES)[number],
): boolean {
  const given = options?.warnings?.[name];
  return typeof given === 'boolean' ? given : !underTestRunner();
}
