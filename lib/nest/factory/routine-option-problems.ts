import {
  BACKGROUND_OPTION_NAMES,
  PERIODIC_OPTION_NAMES,
  resolvePeriodicOptions,
  type EveryKeyListed,
  unknownOptionProblems,
  validateBackgroundOptions,
  type ConfigurationProblem,
  type OptionProblem,
  type ResolvedPeriodicOptions,
} from '../../core';
import type {
  BackgroundRoutineDecoratorOptions,
  PeriodicRoutineDecoratorOptions,
  RoutineDeclaration,
} from '../interfaces/routine-declaration.interface';
import {
  ROUTINE_OVERRIDE_KEYS,
  type RoutineOverrides,
} from '../interfaces/routines-module-options.interface';
import { MODULE_OPTIONS_SOURCE } from '../constants';
import { MESSAGES } from '../nest.messages';

/** The options of `@Periodic`: the routine's and `enabled`; checked against the type as in the core. */
const PERIODIC_DECORATOR_OPTIONS: readonly string[] = [
  ...PERIODIC_OPTION_NAMES,
  'enabled',
] as const satisfies readonly (keyof PeriodicRoutineDecoratorOptions)[];
type _EveryPeriodicDecoratorOption = EveryKeyListed<
  Exclude<keyof PeriodicRoutineDecoratorOptions, (typeof PERIODIC_OPTION_NAMES)[number] | 'enabled'>
>;
/** The options of `@BackgroundRoutine`: the routine's and `enabled`. */
const BACKGROUND_DECORATOR_OPTIONS: readonly string[] = [
  ...BACKGROUND_OPTION_NAMES,
  'enabled',
] as const satisfies readonly (keyof BackgroundRoutineDecoratorOptions)[];
type _EveryBackgroundDecoratorOption = EveryKeyListed<
  Exclude<
    keyof BackgroundRoutineDecoratorOptions,
    (typeof BACKGROUND_OPTION_NAMES)[number] | 'enabled'
  >
>;

/** The problems in a routine's options and, for a periodic one, the options parsed (once). */
export function validateDeclaration(
  declaration: RoutineDeclaration,
  options: PeriodicRoutineDecoratorOptions & BackgroundRoutineDecoratorOptions,
): { problems: OptionProblem[]; resolved?: ResolvedPeriodicOptions } {
  const problems: OptionProblem[] = unknownOptionProblems(
    declaration.options,
    declaration.kind === 'periodic' ? PERIODIC_DECORATOR_OPTIONS : BACKGROUND_DECORATOR_OPTIONS,
  );
  if (options.enabled !== undefined && typeof options.enabled !== 'boolean') {
    problems.push({ option: 'enabled', value: options.enabled, message: MESSAGES.notBoolean });
  }
  if (declaration.kind === 'background') {
    problems.push(...validateBackgroundOptions(options));
    return { problems };
  }
  if (options.interval === undefined) {
    problems.push({
      option: 'interval',
      value: undefined,
      message: MESSAGES.missingInterval(declaration.name),
    });
  }
  return { problems, resolved: resolvePeriodicOptions(options, problems) };
}

/** Names used by more than one routine: one problem per name, naming every source. */
export function duplicateNameProblems(
  declarations: readonly RoutineDeclaration[],
): ConfigurationProblem[] {
  const names = new Set<string>();
  for (const declaration of declarations) names.add(declaration.name);
  if (names.size === declarations.length) return [];
  const byName = new Map<string, RoutineDeclaration[]>();
  for (const declaration of declarations) {
    const group = byName.get(declaration.name);
    if (group) group.push(declaration);
    else byName.set(declaration.name, [declaration]);
  }
  return [...byName.values()]
    .filter((group) => group.length > 1)
    .map((group) => {
      const sources = new Set(group.map((d) => d.source));
      // One class registered several times: each registration is an instance with the routine.
      if (sources.size === 1) {
        const className = group[0].source.split('.')[0];
        return {
          source: group[0].source,
          routine: group[0].name,
          option: 'name',
          value: group[0].name,
          message: MESSAGES.registeredTwice(className, registrations(group)),
        };
      }
      return {
        source: group.map((d) => d.source).join(' and '),
        routine: group[0].name,
        option: 'name',
        value: group[0].name,
        message: MESSAGES.duplicateName,
      };
    });
}

/**
 * How each declaration's provider was registered, without the module when the tokens alone
 * tell them apart.
 */
function registrations(group: readonly RoutineDeclaration[]): string[] {
  const full = group.map((d) => d.registration ?? 'provider (unknown token)');
  const short = full.map((text) => text.replace(/ in [^ ]+$/, ''));
  return new Set(short).size === short.length ? short : full;
}

/** The options of one kind only: `interval` is periodic, `restart` background. */
const ONLY_FOR: Readonly<Record<string, 'periodic' | 'background'>> = Object.fromEntries([
  ...PERIODIC_OPTION_NAMES.filter((key) => !BACKGROUND_DECORATOR_OPTIONS.includes(key)).map(
    (key) => [key, 'periodic'] as const,
  ),
  ...BACKGROUND_OPTION_NAMES.filter((key) => !PERIODIC_DECORATOR_OPTIONS.includes(key)).map(
    (key) => [key, 'background'] as const,
  ),
]);

/** `routines` in the module options: each key names a routine, each value its known options. */
export function unknownOverrideProblems(
  declarations: readonly RoutineDeclaration[],
  overrides: Record<string, RoutineOverrides>,
): ConfigurationProblem[] {
  const names = new Set(declarations.map((d) => d.name));
  const kinds = new Map(declarations.map((d) => [d.name, d.kind]));
  const problems: ConfigurationProblem[] = [];
  for (const [name, settings] of Object.entries(overrides)) {
    const source = `${MODULE_OPTIONS_SOURCE} routines['${name}']`;
    if (!names.has(name)) {
      const known = [...names].sort().join(', ') || 'none';
      problems.push({
        source,
        option: 'routines',
        value: name,
        message: MESSAGES.unknownRoutine(known),
      });
    } else if (typeof settings !== 'object' || settings === null) {
      problems.push({
        source,
        routine: name,
        option: `routines['${name}']`,
        value: settings,
        message: MESSAGES.overridesNotObject,
      });
    } else {
      problems.push(...settingProblems(name, kinds.get(name)!, settings, source));
    }
  }
  return problems;
}

/** One routine's module options: each a routine option, and one of its kind. */
function settingProblems(
  name: string,
  kind: RoutineDeclaration['kind'],
  settings: RoutineOverrides,
  source: string,
): ConfigurationProblem[] {
  const problems: ConfigurationProblem[] = [];
  for (const [key, value] of Object.entries(settings)) {
    if (!(ROUTINE_OVERRIDE_KEYS as readonly string[]).includes(key)) {
      problems.push({
        source,
        routine: name,
        option: key,
        value,
        message: MESSAGES.unknownOption(ROUTINE_OVERRIDE_KEYS.join(', ')),
      });
    } else if (value !== undefined && ONLY_FOR[key] !== undefined && ONLY_FOR[key] !== kind) {
      problems.push({
        source,
        routine: name,
        option: key,
        value,
        message: MESSAGES.optionOfOtherKind(ONLY_FOR[key], name, kind),
      });
    }
  }
  return problems;
}

/** `backoff` of `backoff.initialDelay`: the key a module option was given under. */
export function topLevelKey(option: string): string {
  return option.split('.')[0];
}
