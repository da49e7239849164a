// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured choices".
import { MESSAGES } from './nest.messages';
import { Injectable, Scope, type Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { ConfigurationProblem } from '../core';
import { BACKGROUND_ROUTINE_METADATA, PERIODIC_METADATA } from './constants';
import type {
  BackgroundMetadata,
  PeriodicMetadata,
  RoutineDeclaration,
} from './interfaces/routine-declaration.interface';

type Wrapper = ReturnType<DiscoveryService['getProviders']>[number];

/** Finds `@Periodic` and `@BackgroundRoutine` on providers and controllers. */
@Injectable()
export class RoutinesExplorer {
  constructor(private readonly discovery: DiscoveryService) {}

  explore(): { declarations: RoutineDeclaration[]; problems: ConfigurationProblem[] } {
    const declarations: RoutineDeclaration[] = [];
    const problems: ConfigurationProblem[] = [];
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const type = classOf(wrapper);
      if (!type) continue;
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
    return { declarations, problems };
  }

  private declarationsOf(type: Type<unknown>, instance: object | undefined): RoutineDeclaration[] {
    const declarations: RoutineDeclaration[] = [];
    const target = instance ?? (type.prototype as object);
    const classPeriodic = classMetadata(PERIODIC_METADATA, type) as PeriodicMetadata | undefined;
    const classBackground = classMetadata(BACKGROUND_ROUTINE_METADATA, type) as
      BackgroundMetadata | undefined;
    if (classPeriodic)
      declarations.push(declare('periodic', type.name, undefined, target, classPeriodic));
    if (classBackground)
      declarations.push(declare('background', type.name, undefined, target, classBackground));
    for (const method of methodNames(type.prototype as object)) {
      const fn = (type.prototype as Record<string, unknown>)[method];
      if (typeof fn !== 'function') continue;
      // Own metadata: the decorators define it on the method function itself (measured).
      const periodic = Reflect.getOwnMetadata(PERIODIC_METADATA, fn) as
        PeriodicMetadata | undefined;
      const background = Reflect.getOwnMetadata(BACKGROUND_ROUTINE_METADATA, fn) as
        BackgroundMetadata | undefined;
      if (periodic) declarations.push(declare('periodic', type.name, method, target, periodic, fn));
      if (background)
        declarations.push(declare('background', type.name, method, target, background, fn));
    }
    return declarations;
  }
}

/**
 * A class decorator's metadata, inherited from parent classes as `Reflect.getMetadata` finds
 * it; for a class without a parent, its own metadata (measured).
 */
function classMetadata(key: string, type: Type<unknown>): unknown {
  return Object.getPrototypeOf(type) === Function.prototype
    ? Reflect.getOwnMetadata(key, type)
    : Reflect.getMetadata(key, type);
}

/**
 * A class's methods, own and inherited, as Nest's `MetadataScanner.getAllMethodNames` lists
 * them (no accessors, no constructor), without its cache, which would keep an array per
 * scanned class for the life of the app (measured).
 */
function methodNames(prototype: object | null): string[] {
  const names: string[] = [];
  const visited = new Set<string>();
  for (
    let proto = prototype;
    proto !== null && proto !== Object.prototype;
    proto = Reflect.getPrototypeOf(proto)
  ) {
    for (const property of Object.getOwnPropertyNames(proto)) {
      if (visited.has(property)) continue;
      visited.add(property);
      const descriptor = Object.getOwnPropertyDescriptor(proto, property);
      if (!descriptor || descriptor.get || descriptor.set || property === 'constructor') continue;
      if (typeof (proto as Record<string, unknown>)[property] !== 'function') continue;
      names.push(property);
    }
  }
  return names;
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
    className,
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
