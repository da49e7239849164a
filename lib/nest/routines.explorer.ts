// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured choices".
import { MESSAGES } from './nest.messages';
import { Injectable, Scope, type Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { ConfigurationProblem } from '../core';
import {
  declaredRoutines,
  migrationOptionsOf,
  workerOptionsOf,
} from './decorators/declared-classes';
import type { WorkerDecoratorOptions } from './interfaces/worker-decorator-options.interface';
import type { OutOfBandMigrationOptions } from './interfaces/out-of-band-migration-options.interface';
import type { Migrator } from '../migrations';
import type {
  BackgroundMetadata,
  PeriodicMetadata,
  RoutineDeclaration,
} from './interfaces/routine-declaration.interface';

type Wrapper = ReturnType<DiscoveryService['getProviders']>[number];

/** A `@Worker` class found in the app. */
export interface DeclaredWorker {
  source: string;
  instance: { handle(row: unknown, job: unknown): unknown };
  options: WorkerDecoratorOptions;
}

/** An `@OutOfBandMigration` class found in the app. */
export interface DeclaredMigration {
  source: string;
  instance: Migrator;
  options: OutOfBandMigrationOptions;
}

/**
 * Finds `@Periodic` and `@BackgroundRoutine` on providers and controllers, and the
 * `@Worker` and `@OutOfBandMigration` classes, from what the decorators recorded.
 */
@Injectable()
export class RoutinesExplorer {
  constructor(private readonly discovery: DiscoveryService) {}

  explore(): Explored {
    const found: Explored = {
      declarations: [],
      problems: [],
      workers: [],
      migrations: [],
      classes: new Set(),
    };
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const type = classOf(wrapper);
      if (!type) continue;
      found.classes.add(type);
      const migration = migrationOptionsOf(type);
      const worker = migration ? undefined : workerOptionsOf(type);
      if (migration || worker) {
        if (seen.has(wrapper.instance)) continue;
        seen.add(wrapper.instance);
        if (migration) exploreMigration(found, wrapper, type, migration);
        else exploreWorker(found, wrapper, type, worker!);
        continue;
      }
      this.exploreRoutines(found, seen, wrapper, type);
    }
    return found;
  }

  /** `@Periodic` and `@BackgroundRoutine` on one provider or controller. */
  private exploreRoutines(
    found: Explored,
    seen: Set<object>,
    wrapper: Wrapper,
    type: Type<unknown>,
  ): void {
    const declarations = this.declarationsOf(type, wrapper.instance as object | undefined);
    if (declarations.length === 0) return;
    const scope = nonStaticScope(wrapper);
    if (scope) {
      found.problems.push({
        source: type.name,
        routine: declarations[0].name,
        option: '',
        value: undefined,
        message: MESSAGES.notSingleton(scope),
      });
      return;
    }
    if (seen.has(wrapper.instance)) return; // the same instance under another token
    seen.add(wrapper.instance);
    const registration = registrationOf(wrapper);
    for (const declaration of declarations) {
      declaration.registration = registration;
      found.problems.push(...missingMethodProblems(declaration));
      found.declarations.push(declaration);
    }
  }

  private declarationsOf(type: Type<unknown>, instance: object | undefined): RoutineDeclaration[] {
    const target = instance ?? (type.prototype as object);
    return declaredRoutines(type).map(({ kind, methodName, method, options }) =>
      declare(kind, type.name, methodName, target, options, method),
    );
  }
}

/** What the explorer found in the app. */
export interface Explored {
  declarations: RoutineDeclaration[];
  problems: ConfigurationProblem[];
  workers: DeclaredWorker[];
  migrations: DeclaredMigration[];
  /** The class of every provider and controller, routines or not. */
  classes: Set<object>;
}

/** An `@OutOfBandMigration` class: a singleton with `progress`, `up` and (unless non-destructive) `down`. */
function exploreMigration(
  found: Explored,
  wrapper: Wrapper,
  type: Type<unknown>,
  options: OutOfBandMigrationOptions,
): void {
  const instance = wrapper.instance as Partial<Migrator> | undefined;
  const problem = (message: string) =>
    found.problems.push({
      source: type.name,
      routine: options.id,
      option: '',
      value: undefined,
      message,
    });
  const missing: string[] = (['progress', 'up'] as const).filter(
    (method) => typeof instance?.[method] !== 'function',
  );
  if (!options.nonDestructive && typeof instance?.down !== 'function') missing.push('down');
  const scope = nonStaticScope(wrapper);
  if (scope) problem(MESSAGES.notSingleton(scope));
  else if (missing.length > 0) problem(MESSAGES.migrationWithout(missing));
  else found.migrations.push({ source: type.name, instance: instance as Migrator, options });
}

/** A `@Worker` class: a singleton with `handle`. */
function exploreWorker(
  found: Explored,
  wrapper: Wrapper,
  type: Type<unknown>,
  options: WorkerDecoratorOptions,
): void {
  const instance = wrapper.instance as { handle?: unknown } | undefined;
  const problem = (message: string) =>
    found.problems.push({
      source: type.name,
      routine: options.name,
      option: '',
      value: undefined,
      message,
    });
  const scope = nonStaticScope(wrapper);
  if (scope) problem(MESSAGES.notSingleton(scope));
  else if (typeof instance?.handle !== 'function') problem(MESSAGES.workerWithoutHandle);
  else
    found.workers.push({
      source: type.name,
      instance: instance as DeclaredWorker['instance'],
      options,
    });
}

function declare(
  kind: RoutineDeclaration['kind'],
  className: string,
  methodName: string | undefined,
  instance: object,
  options: PeriodicMetadata | BackgroundMetadata,
  method?: unknown,
): RoutineDeclaration {
  const source = methodName ? `${className}.${methodName}` : className;
  return {
    kind,
    name: options.name ?? source,
    source,
    methodName,
    method,
    instance,
    options,
  };
}

function classOf(wrapper: Wrapper): Type<unknown> | undefined {
  const instance = wrapper.instance as object | undefined;
  const metatype = wrapper.metatype as Type<unknown> | null | undefined;
  // A class provider: its instance's prototype is its class's (not `instance.constructor`:
  // measured).
  if (
    instance &&
    typeof metatype === 'function' &&
    !wrapper.inject &&
    Object.getPrototypeOf(instance) === metatype.prototype
  ) {
    return metatype;
  }
  if (
    instance &&
    typeof instance === 'object' &&
    typeof instance.constructor === 'function' &&
    instance.constructor !== Object
  ) {
    return instance.constructor as Type<unknown>;
  }
  // Request-scoped and transient providers have no shared instance: look at the class itself.
  return !wrapper.inject && typeof metatype === 'function' && metatype.prototype
    ? metatype
    : undefined;
}

/** `provider UploadsService in AppModule`, `provider 'UPLOADS_ALIAS' in AppModule`: for messages. */
function registrationOf(wrapper: Wrapper): string {
  const token: unknown = wrapper.token;
  const name =
    typeof token === 'function'
      ? token.name
      : typeof token === 'string'
        ? `'${token}'`
        : String(token);
  const host = wrapper.host?.name;
  return host ? `provider ${name} in ${host}` : `provider ${name}`;
}

function nonStaticScope(wrapper: Wrapper): string | undefined {
  if (wrapper.scope === Scope.TRANSIENT || wrapper.isTransient) return 'transient';
  if (wrapper.scope === Scope.REQUEST) return 'request-scoped';
  if (!wrapper.isDependencyTreeStatic()) return 'request-scoped (through one of its dependencies)';
  return undefined;
}

function missingMethodProblems(declaration: RoutineDeclaration): ConfigurationProblem[] {
  if (declaration.methodName) return [];
  const required = declaration.kind === 'periodic' ? 'handle' : 'start';
  const decorator = declaration.kind === 'periodic' ? '@Periodic' : '@BackgroundRoutine';
  if (typeof (declaration.instance as Record<string, unknown>)[required] === 'function') return [];
  return [
    {
      source: declaration.source,
      routine: declaration.name,
      option: '',
      value: undefined,
      message: MESSAGES.missingMethod(decorator, required),
    },
  ];
}
