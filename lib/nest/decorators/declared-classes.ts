import type {
  BackgroundMetadata,
  PeriodicMetadata,
  RoutineDeclaration,
} from '../interfaces/routine-declaration.interface';
import type { OutOfBandMigrationOptions } from '../interfaces/out-of-band-migration-options.interface';
import type { WorkerDecoratorOptions } from '../interfaces/worker-decorator-options.interface';

type Kind = RoutineDeclaration['kind'];
type Options = PeriodicMetadata | BackgroundMetadata;

/** A routine declared on a method, as its decorator recorded it. */
interface DeclaredMethod {
  kind: Kind;
  name: string;
  fn: unknown;
  options: Options;
}

/** What the library's decorators put on one class. */
interface DeclaredOnClass {
  /** `@Periodic` / `@BackgroundRoutine` on the class itself. */
  periodic?: PeriodicMetadata;
  background?: BackgroundMetadata;
  /** On its methods, in the order the decorators ran. */
  methods: DeclaredMethod[];
  /** `@Worker` on the class: its options as given. */
  worker?: WorkerDecoratorOptions;
  /** `@OutOfBandMigration` on the class: its options as given. */
  migration?: OutOfBandMigrationOptions;
}

/** A routine `type` declares, as {@link declaredRoutines} lists it. */
export interface DeclaredRoutine {
  kind: Kind;
  methodName?: string;
  method?: unknown;
  options: Options;
}

/**
 * The one record of the library's decorators: every class on which `@Periodic`,
 * `@BackgroundRoutine`, `@Worker` or `@OutOfBandMigration` was used, with what it declared,
 * written as the decorators run. Discovery reads this instead of scanning every method of
 * every provider for metadata (measured); the decorators still set the metadata, for tools
 * that read it.
 *
 * Kept under a global symbol rather than in a module variable: an app can load two copies of
 * this package (its ESM and CommonJS builds, or two versions), and the decorators of one copy
 * must be found by the discovery of the other. An older copy reads only `periodic`,
 * `background` and `methods`: the fields it does not know are extra to it.
 */
const REGISTRY = Symbol.for('nestjs-routines.declared-classes');
const declared: WeakMap<object, DeclaredOnClass> = ((
  globalThis as Record<symbol, WeakMap<object, DeclaredOnClass> | undefined>
)[REGISTRY] ??= new WeakMap());

/**
 * The same classes, in an order and enumerable: a WeakMap cannot be listed, and the module
 * warns about decorated classes no module provides. Weak references, so that classes made in
 * a function (tests make many) can still be collected.
 */
const LIST = Symbol.for('nestjs-routines.declared-class-list');
const listed: Set<WeakRef<object>> = ((
  globalThis as Record<symbol, Set<WeakRef<object>> | undefined>
)[LIST] ??= new Set());

function entryOf(type: object): DeclaredOnClass {
  let entry = declared.get(type);
  if (entry === undefined) {
    declared.set(type, (entry = { methods: [] }));
    listed.add(new WeakRef(type));
  }
  return entry;
}

/** Every class on which the library's decorators were used in this process, still alive. */
export function everyDeclaredClass(): object[] {
  const alive: object[] = [];
  for (const ref of listed) {
    const type = ref.deref();
    if (type === undefined) listed.delete(ref);
    else alive.push(type);
  }
  return alive;
}

/** Records `@Periodic` or `@BackgroundRoutine` on a class. */
export function recordClassRoutine(type: object, kind: Kind, options: Options): void {
  entryOf(type)[kind] = options;
}

/** Records `@Periodic` or `@BackgroundRoutine` on a method of `type`'s prototype. */
export function recordMethodRoutine(type: object, method: DeclaredMethod): void {
  const { methods } = entryOf(type);
  // The same decorator twice on one method: the last one applied wins, as with metadata.
  const index = methods.findIndex((m) => m.kind === method.kind && m.name === method.name);
  if (index >= 0) methods[index] = method;
  else methods.push(method);
}

/** Records `@Worker` on a class. */
export function recordWorker(type: object, options: WorkerDecoratorOptions): void {
  entryOf(type).worker = options;
}

/** Records `@OutOfBandMigration` on a class. */
export function recordMigration(type: object, options: OutOfBandMigrationOptions): void {
  entryOf(type).migration = options;
}

/** The `@Worker` options of a class (that very class: a subclass is not a worker), if it has them. */
export function workerOptionsOf(type: object): WorkerDecoratorOptions | undefined {
  return declared.get(type)?.worker;
}

/** The `@OutOfBandMigration` options of a class (that very class), if it has them. */
export function migrationOptionsOf(type: object): OutOfBandMigrationOptions | undefined {
  return declared.get(type)?.migration;
}

/**
 * The routines `type` declares, its parent classes' included, as the decorators recorded them:
 * a class decorator is inherited (the nearest class's wins), and a decorated method counts
 * where the class's method is that very function (a subclass that overrides it without the
 * decorator declares no routine there, as with metadata on the function).
 */
export function declaredRoutines(type: object): DeclaredRoutine[] {
  let periodic: PeriodicMetadata | undefined;
  let background: BackgroundMetadata | undefined;
  const found: DeclaredRoutine[] = [];
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
