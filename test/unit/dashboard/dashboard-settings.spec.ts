import { RoutinesConfigurationError } from '../../../lib/core';
import { resolveSettings } from '../../../lib/dashboard/dashboard.settings';
import type { RoutinesDashboardSettings } from '../../../lib/dashboard/interfaces/dashboard-options.interface';

function problemsOf(settings: unknown, forRootAsync = false): string[] {
  try {
    resolveSettings(undefined, [], settings as RoutinesDashboardSettings, forRootAsync);
  } catch (error) {
    expect(error).toBeInstanceOf(RoutinesConfigurationError);
    return (error as RoutinesConfigurationError).problems.map((p) => `${p.option}: ${p.message}`);
  }
  return [];
}

describe('dashboard settings: unknown keys are refused with the likely one', () => {
  it('at the top level', () => {
    expect(problemsOf({ refesh: '1s' })).toEqual([
      "refesh: is not a dashboard option (did you mean 'refresh'?); the options are allowUnguardedControl, control, exposeStacks, guards, minInterval, operator, path, refresh, replicas, title, trustedOrigins",
    ]);
  });

  it('in replicas', () => {
    expect(problemsOf({ replicas: { publishEvry: '10s' } })).toEqual([
      "replicas.publishEvry: is not an option of replicas (did you mean 'publishEvery'?); the options are expireAfter, pollControls, publishEvery",
    ]);
  });

  it("from forRootAsync's factory, where path and guards are not settings", () => {
    expect(problemsOf({ path: '/ops', contol: false }, true)).toEqual([
      'path: is given to forRootAsync itself, next to useFactory (routes are declared before any factory runs)',
      "contol: is not a dashboard option (did you mean 'control'?); the options are allowUnguardedControl, control, exposeStacks, minInterval, operator, refresh, replicas, title, trustedOrigins",
    ]);
  });

  it('takes every known one', () => {
    expect(
      problemsOf({
        control: false,
        allowUnguardedControl: false,
        exposeStacks: false,
        trustedOrigins: [],
        refresh: '5s',
        title: 'Ops',
        replicas: { publishEvery: '5s', expireAfter: '20s', pollControls: '1s' },
        minInterval: '10s',
        operator: () => 'alice',
      }),
    ).toEqual([]);
  });
});

describe('dashboard settings: minInterval and operator', () => {
  const resolve = (settings: RoutinesDashboardSettings) => resolveSettings(undefined, [], settings);

  it("minInterval is '1s' by default, off with 0 or false", () => {
    expect(resolve({}).minIntervalMs).toBe(1000);
    expect(resolve({ minInterval: '1m' }).minIntervalMs).toBe(60_000);
    expect(resolve({ minInterval: 0 }).minIntervalMs).toBe(0);
    expect(resolve({ minInterval: false }).minIntervalMs).toBe(0);
  });

  it('refuses a bad minInterval or operator, naming the option and the value', () => {
    expect(problemsOf({ minInterval: 'soon', operator: 'alice' })).toEqual([
      expect.stringMatching(/^minInterval: /),
      'operator: must be a function (request) => string | undefined',
    ]);
    expect(() => resolve({ minInterval: 'soon' })).toThrow(
      /RoutinesDashboardModule: option 'minInterval' = 'soon'/,
    );
  });
});
