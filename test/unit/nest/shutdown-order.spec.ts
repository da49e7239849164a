import type { ModulesContainer } from '@nestjs/core';
import { visitFirstOnShutdown } from '../../../lib/nest/shutdown-order';

class DrainModule {}
class OtherModule {}

function container(...modules: object[]): ModulesContainer {
  return new Map(modules.map((module, i) => [String(i), module])) as unknown as ModulesContainer;
}

describe('visitFirstOnShutdown: the one Nest internal, and its fallback', () => {
  it('lowers the distance of the given module only, and says it did', () => {
    const drain = { metatype: DrainModule, distance: 2 };
    const other = { metatype: OtherModule, distance: 1 };
    expect(visitFirstOnShutdown(container(other, drain), DrainModule)).toBe(true);
    expect(drain.distance).toBe(-Number.MAX_VALUE);
    expect(other.distance).toBe(1);
  });

  it('works through an accessor pair, as Nest 11 and 12 declare it', () => {
    const drain = {
      metatype: DrainModule,
      _distance: 3,
      get distance(): number {
        return this._distance;
      },
      set distance(value: number) {
        this._distance = value;
      },
    };
    expect(visitFirstOnShutdown(container(drain), DrainModule)).toBe(true);
    expect(drain._distance).toBe(-Number.MAX_VALUE);
  });

  it.each<[string, object]>([
    ['no such field', { metatype: DrainModule }],
    ['a field of another type', { metatype: DrainModule, distance: '2' }],
    [
      'a getter without a setter',
      {
        metatype: DrainModule,
        get distance(): number {
          return 2;
        },
      },
    ],
    ['a frozen module', Object.freeze({ metatype: DrainModule, distance: 2 })],
    [
      'a setter that ignores the value',
      {
        metatype: DrainModule,
        get distance(): number {
          return 2;
        },
        set distance(_value: number) {},
      },
    ],
  ])('falls back (returns false, writes nothing) with %s', (_name, drain) => {
    expect(visitFirstOnShutdown(container(drain), DrainModule)).toBe(false);
  });

  it('returns false when the module is not there', () => {
    expect(
      visitFirstOnShutdown(container({ metatype: OtherModule, distance: 1 }), DrainModule),
    ).toBe(false);
  });
});
