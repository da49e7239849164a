import { SetMetadata } from '@nestjs/common';
import { BACKGROUND_ROUTINE_METADATA, PERIODIC_METADATA } from '../constants';
import type {
  BackgroundMetadata,
  PeriodicMetadata,
  RoutineDeclaration,
} from '../interfaces/routine-declaration.interface';
import { recordClassRoutine, recordMethodRoutine } from './declared-classes';

const KINDS: Record<string, RoutineDeclaration['kind']> = {
  [PERIODIC_METADATA]: 'periodic',
  [BACKGROUND_ROUTINE_METADATA]: 'background',
};

/**
 * `SetMetadata(key, options)` that also records what it declares, on which class: what
 * `@Periodic` and `@BackgroundRoutine` are made of.
 */
export function routineDecorator(
  key: string,
  options: PeriodicMetadata | BackgroundMetadata,
): ClassDecorator & MethodDecorator {
  const setMetadata = SetMetadata(key, options);
  const kind = KINDS[key];
  return ((target: object, property?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor === undefined) {
      recordClassRoutine(target, kind, options);
    } else if (typeof target !== 'function' && typeof property === 'string') {
      // A method decorator gets the prototype; static methods (target: the class) are not routines.
      recordMethodRoutine(target.constructor, {
        kind,
        name: property,
        fn: descriptor.value,
        options,
      });
    }
    return setMetadata(target, property as string | symbol, descriptor as PropertyDescriptor);
  }) as ClassDecorator & MethodDecorator;
}
