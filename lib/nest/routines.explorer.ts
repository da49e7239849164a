// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured choices".
import { MESSAGES } from './nest.messages';
import { Injectable, Scope, type Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { ConfigurationProblem } from '../core';
import { declaredRoutines } from './declared-classes';
import { workerOptionsOf, type WorkerDecoratorOptions } from './worker.decorator';
import type { Migrator } from '../migrations';
import {
  migrationOptionsOf,
  type OutOfBandMigrationOptions,
} from './out-of-band-migration.decorator';

/** A `@Worker` class found in the app. */
export interface DeclaredWorker {
  source: string;
  instance: { handle(row: unknown, job: unknown): unknown };
  options: WorkerDecoratorOptions;
}
import type {
  BackgroundMetadata,
  PeriodicMetadata,
  RoutineDeclaration,
} from './interfaces/routine-declaration.interface';

type Wrapper = ReturnType<DiscoveryService['getProviders']>[number];

/** An `@OutOfBandMigration` class found in the app. */
export interface DeclaredMigration {
  source: string;
  instance: Migrator;
  options: OutOfBandMigrationOptions;
}

/** Finds `@Periodic` and `@BackgroundRoutine` on providers and controllers. */
@Injectable()
export class RoutinesExplorer {
  constructor(private readonly discovery: DiscoveryService) {}

  explore(): {
    declarations: RoutineDeclaration[];
    problems: ConfigurationProblem[];
    workers: DeclaredWorker[];
    migrations: DeclaredMigration[];
  } {
    const declarations: RoutineDeclaration[] = [];
    const problems: ConfigurationProblem[] = [];
    const workers: DeclaredWorker[] = [];
    const migrations: DeclaredMigration[] = [];
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const type = classOf(wrapper);
      if (!type) continue;
      const migration = migrationOptionsOf(type);
      if (migration && !seen.has(wrapper.instance)) {
        seen.add(wrapper.instance);
        const scope = nonStaticScope(wrapper);
        const instance = wrapper.instance as Partial<Migrator> | undefined;
        const problem = (option: string, message: string) =>
          problems.push({
            source: type.name,
            routine: migration.id,
            option,
            value: undefined,
            message,
          });
        const missing = (['progress', 'up'] as const).filter(
          (method) => typeof instance?.[method] !== 'function',
        );
        if (!migration.nonDestructive && typeof instance?.down !== 'function')
          missing.push('down' as never);
        if (scope) problem('', MESSAGES.notSingleton(scope));
        else if (missing.length > 0) problem('', MESSAGES.migrationWithout(missing));
        else
          migrations.push({
            source: type.name,
            instance: instance as Migrator,
            options: migration,
          });
        continue;
      }
      const worker = workerOptionsOf(type);
      if (worker && !seen.has(wrapper.instance)) {
        seen.add(wrapper.instance);
        const scope = nonStaticScope(wrapper);
        const instance = wrapper.instance as { handle?: unknown } | undefined;
        const problem = (message: string) =>
          problems.push({
            source: type.name,
            routine: worker.name,
            option: '',
            value: undefined,
            message,
          });
        if (scope) problem(MESSAGES.notSingleton(scope));
        else if (typeof instance?.handle !== 'function') problem(MESSAGES.workerWithoutHandle);
        else
          workers.push({
            source: type.name,
            instance: instance as DeclaredWorker['instance'],
            options: worker,
          });
        continue;
      }
      const found = this.declarationsOf(type, wrapper.instance as object | undefined);
      if (found.length === 0) continue;
      const scope = nonStaticScope(wrapper);
      if (scope) {
        problems.push({
          source: type.name,
          routine: found[0].name,
          option: '',
          value: undefined,
          message: MESSAGES.notSingleton(scope),
        });
        continue;
      }
      if (seen.has(wrapper.instance)) continue; // the same instance under another token
      seen.add(wrapper.instance);
      for (const declaration of found) {
        problems.push(...missingMethodProblems(declaration));
        declarations.push(declaration);
      }
    }
    return { declarations, problems, workers, migrations };
  }

  private declarationsOf(type: Type<unknown>, instance: object | undefined): RoutineDeclaration[] {
    const target = instance ?? (type.prototype as object);
    return declaredRoutines(type).map(({ kind, methodName, method, options }) =>
      declare(kind, type.name, methodName, target, options, method),
    );
  }
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
