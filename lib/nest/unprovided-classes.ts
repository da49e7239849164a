import {
  declaredRoutines,
  everyDeclaredClass,
  migrationOptionsOf,
  workerOptionsOf,
} from './decorators/declared-classes';
import { MESSAGES } from './nest.messages';

/**
 * The classes some app in this process provided, with their parent classes (a provider runs
 * the routines it inherits), and those already warned about: kept per process, under global
 * symbols as the decorators' record is, so that several apps in one process (tests) and two
 * copies of this package agree.
 */
const store = globalThis as Record<symbol, WeakSet<object> | undefined>;
const provided = (store[Symbol.for('nestjs-routines.provided-classes')] ??= new WeakSet());
const warned = (store[Symbol.for('nestjs-routines.unprovided-warned')] ??= new WeakSet());

/** Records the classes of an app's providers and controllers, and their parents. */
export function recordProvidedClasses(classes: Iterable<object>): void {
  for (const type of classes) {
    for (
      let current: object | null = type;
      current !== null && current !== Function.prototype && !provided.has(current);
      current = Object.getPrototypeOf(current) as object | null
    ) {
      provided.add(current);
    }
  }
}

/**
 * One warning per decorated class that no app in this process has provided (nor a subclass
 * of it), each once per process: its routines never run, and nothing else would say so.
 */
export function unprovidedClassWarnings(leftOutOnPurpose: ReadonlySet<object>): string[] {
  const warnings: string[] = [];
  for (const type of everyDeclaredClass()) {
    if (provided.has(type) || warned.has(type) || leftOutOnPurpose.has(type)) continue;
    const routines = routinesOf(type as { name: string });
    if (routines.length === 0) continue;
    warned.add(type);
    warnings.push(MESSAGES.unprovidedClass(nameOf(type), routines));
  }
  return warnings;
}

/** What the class declares, as the app would name it. */
function routinesOf(type: { name: string }): string[] {
  const className = nameOf(type);
  const names = declaredRoutines(type).map(
    ({ methodName, options }) =>
      options.name ?? (methodName ? `${className}.${methodName}` : className),
  );
  const worker = workerOptionsOf(type);
  if (worker) names.push(`worker ${worker.name}`);
  const migration = migrationOptionsOf(type);
  if (migration) names.push(`out-of-band migration ${migration.id}`);
  return names;
}

function nameOf(type: object): string {
  const name = (type as { name?: unknown }).name;
  return typeof name === 'string' && name !== '' ? name : '(an anonymous class)';
}
