import { SetMetadata } from '@nestjs/common';
import { BACKGROUND_ROUTINE_METADATA, PERIODIC_METADATA } from './constants';
import type {
  BackgroundMetadata,
  PeriodicMetadata,
  RoutineDeclaration,
} from './interfaces/routine-declaration.interface';

type Kind = RoutineDeclaration['kind'];
type Options = PeriodicMetadata | BackgroundMetadata;

/** What the routine decorators put on one class. */
interface DeclaredOnClass {
  /** `@Periodic` / `@BackgroundRoutine` on the class itself. */
  periodic?: PeriodicMetadata;
  background?: BackgroundMetadata;
  /** On its methods, in the order the decorators ran. */
  methods: Array<{ kind: Kind; name: string; fn: unknown; options: Options }>;
}

/**
 * Every class on which `@Periodic` or `@BackgroundRoutine` was used, with what it declared,
 * recorded as the decorators run. Discovery reads this instead of scanning every method of
 * every provider for metadata (measured); the decorators still set the metadata, for tools
 * that read it. Kept under a global symbol, so that two copies of this package in one app
 * still find each other's routines.
 */
const REGISTRY = Symbol.for('nestjs-routines.declared-classes');
const declared: WeakMap<object, DeclaredOnClass> = ((
  globalThis as Record<symbol, WeakMap<object, DeclaredOnClass> | undefined>
)[REGISTRY] ??= new WeakMap());

const KINDS: Record<string, Kind> = {
  [PERIODIC_METADATA]: 'periodic',
  [BACKGROUND_ROUTINE_METADATA]: 'background',
};

/** `SetMetadata(key, options)` that also records what it declares, on which class. */
export function routineDecorator(key: string, options: Options): ClassDecorator & MethodDecorator {
  const setMetadata = SetMetadata(key, options);
  const kind = KINDS[key];
  return ((target: object, property?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor === undefined) {
      entryOf(target)[kind] = options;
    } else if (typeof target !== 'function' && typeof property === 'string') {
      // A method decorator gets the prototype; static methods (target: the class) are not routines.
      recordMethod(entryOf(target.constructor), {
        kind,
        name: property,
        fn: descriptor.value,
        options,
      });
    }
    return setMetadata(target, property as string | symbol, descriptor as PropertyDescriptor);
  }) as ClassDecorator & MethodDecorator;
}

/** The same decorator twice on one method: the last one applied wins, as with metadata. */
function recordMethod(entry: DeclaredOnClass, method: DeclaredOnClass['methods'][number]): void {
  const index = entry.methods.findIndex((m) => m.kind === method.kind && m.name === method.name);
  if (index >= 0) entry.methods[index] = method;
  else entry.methods.push(method);
}

function entryOf(type: object): DeclaredOnClass {
  let entry = declared.get(type);
  if (entry === undefined) declared.set(type, (entry = { methods: [] }));
  return entry;
}

/**
 * The routines `type` declares, its parent classes' included, as the decorators recorded them:
 * a class decorator is inherited (the nearest class's wins), and a decorated method counts
 * where the class's method is that very function (a subclass that overrides it without the
 * decorator declares no routine there, as with metadata on the function).
 */
export function declaredRoutines(
  type: object,
): Array<{ kind: Kind; methodName?: string; method?: unknown; options: Options }> {
  let periodic: PeriodicMetadata | undefined;
  let background: BackgroundMetadata | undefined;
  const found: Array<{ kind: Kind; methodName?: string; method?: unknown; options: Options }> = [];
  const prototype = (type as { prototype?: Record<string, unknown> }).prototype;
  let levels = 0;
  for (let current: object | null = type; current !== null && current !== Function.prototype;) {
    const entry = declared.get(current);
    if (entry !== undefined) {
      periodic ??= entry.periodic;
      background ??= entry.background;
      for (const { kind, name, fn, options } of entry.methods) {
        // Declared again by a subclass, which was visited first: not twice.
        if (levels > 0 && found.some((f) => f.kind === kind && f.methodName === name)) continue;
        if (prototype?.[name] === fn) found.push({ kind, methodName: name, method: fn, options });
      }
      levels++;
    }
    current = Object.getPrototypeOf(current) as object | null;
  }
  // Class declarations first, then methods.
  if (background) found.unshift({ kind: 'background', options: background });
  if (periodic) found.unshift({ kind: 'periodic', options: periodic });
  return found;
}
