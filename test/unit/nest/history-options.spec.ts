/** The module option `history`: a number as before, or an object checked key by key. */
import {
  InMemoryCoordinator,
  RoutinesConfigurationError,
  type Coordinator,
} from '../../../lib/core';
import { historyOptionProblems, resolveHistory } from '../../../lib/nest/history-options';
import { moduleOptionProblems } from '../../../lib/nest/module-option-problems';
import type { RoutinesModuleOptions } from '../../../lib/nest/interfaces/routines-module-options.interface';

/** A coordinator that says it is shared, with the in-memory one's ports. */
function sharedCoordinator(history = true): Coordinator {
  const memory = new InMemoryCoordinator();
  return Object.assign(Object.create(memory) as Coordinator, {
    kind: 'redis',
    history: history ? memory.history : undefined,
  });
}

describe('the module option history', () => {
  it('keeps `history: number` as the ring size, and the defaults', () => {
    expect(historyOptionProblems({ history: 20 })).toEqual([]);
    expect(resolveHistory({ history: 20 }, new InMemoryCoordinator())).toEqual({
      limit: 20,
      engine: false,
      keepForMs: 7 * 86_400_000,
      keepRuns: 10_000,
    });
    expect(resolveHistory(undefined, sharedCoordinator())).toMatchObject({
      limit: 100,
      engine: true,
    });
    expect(resolveHistory(undefined, sharedCoordinator(false)).engine).toBe(false);
  });

  it('reads the object form: the ring, the engine switch, and the bounds', () => {
    const options: RoutinesModuleOptions = {
      history: { limit: 0, engine: true, keepFor: '30d', keepRuns: 500 },
    };
    expect(historyOptionProblems(options)).toEqual([]);
    expect(resolveHistory(options, new InMemoryCoordinator())).toEqual({
      limit: 0,
      engine: true,
      keepForMs: 30 * 86_400_000,
      keepRuns: 500,
    });
    expect(resolveHistory({ history: { engine: false } }, sharedCoordinator()).engine).toBe(false);
  });

  it('names the option and the value of every bad setting, and refuses unknown keys', () => {
    const problems = moduleOptionProblems({
      coordinator: sharedCoordinator(false),
      history: {
        limit: -1,
        engine: true,
        keepFor: '10s',
        keepRuns: 0,
        keepFr: '1d',
      } as RoutinesModuleOptions['history'],
    });
    const error = new RoutinesConfigurationError(problems);
    expect(problems.map((p) => [p.option, p.value])).toEqual([
      ['history.keepFr', '1d'],
      ['history.limit', -1],
      ['history.engine', true],
      ['history.keepRuns', 0],
      ['history.keepFor', '10s'],
    ]);
    expect(error.message).toContain("'keepFor'");
    expect(error.message).toContain('the redis coordinator has none');
    expect(moduleOptionProblems({ history: 'lots' as never })[0]).toMatchObject({
      option: 'history',
      value: 'lots',
    });
    expect(moduleOptionProblems({ history: 10_001 })[0]).toMatchObject({
      option: 'history',
      value: 10_001,
    });
  });
});
