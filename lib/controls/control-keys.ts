import type { RoutineControl, RoutineControls } from './interfaces/routine-control.interface';

/** The two kinds of control a routine may have, each kept under its own key. */
export type ControlKind = 'pause' | 'interval';

/** Where a routine's control of `kind` is stored: `pause:<routine>`, `interval:<routine>`. */
export const controlKey = (kind: ControlKind, name: string): string => `${kind}:${name}`;

/** A stored key split into its kind and routine; a key without a colon has no routine. */
export function splitKey(key: string): [string, string | undefined] {
  const colon = key.indexOf(':');
  return colon < 0 ? [key, undefined] : [key.slice(0, colon), key.slice(colon + 1)];
}

/** A control read back, or undefined when the text is not one (corrupt, another version's). */
export function parseControl(text: string): RoutineControl | undefined {
  try {
    const value = JSON.parse(text) as RoutineControl;
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The controls as stored (key → JSON), parsed once and grouped by routine; unknown keys are left out. */
export function indexControls(seen: ReadonlyMap<string, string>): Map<string, RoutineControls> {
  const byRoutine = new Map<string, RoutineControls>();
  for (const [key, text] of seen) {
    const control = parseControl(text);
    const [kind, name] = splitKey(key);
    if (!control || !name || (kind !== 'pause' && kind !== 'interval')) continue;
    byRoutine.set(name, { ...byRoutine.get(name), [kind]: control });
  }
  return byRoutine;
}
