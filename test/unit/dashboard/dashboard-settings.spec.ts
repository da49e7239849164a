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
      "refesh: is not a dashboard option (did you mean 'refresh'?); the options are allowUnguardedControl, allowedHosts, control, exposeStacks, guards, minInterval, operator, path, refresh, replicas, title, trustProxy, trustedOrigins",
    ]);
  });

  it('in replicas', () => {
    expect(problemsOf({ replicas: { publishEvry: '10s' } })).toEqual([
      "replicas.publishEvry: is not an option of replicas (did you mean 'publishEvery'?); the options are expireAfter, forgetAfter, pollControls, publishEvery",
    ]);
  });

  it("from forRootAsync's factory, where path and guards are not settings", () => {
    expect(problemsOf({ path: '/ops', contol: false }, true)).toEqual([
      'path: is given to forRootAsync itself, next to useFactory (routes are declared before any factory runs)',
      "contol: is not a dashboard option (did you mean 'control'?); the options are allowUnguardedControl, allowedHosts, control, exposeStacks, minInterval, operator, refresh, replicas, title, trustProxy, trustedOrigins",
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
        replicas: { publishEvery: '5s', expireAfter: '20s', pollControls: '1s', forgetAfter: '1h' },
        trustProxy: true,
        allowedHosts: ['ops.example.com', 'ops.example.com:8080', '.example.com', '[::1]:3000'],
        minInterval: '10s',
        operator: () => 'alice',
      }),
    ).toEqual([]);
  });
});

describe('dashboard settings: replicas, trustProxy and allowedHosts', () => {
  const resolve = (settings: RoutinesDashboardSettings, guards: unknown[] = []) =>
    resolveSettings(undefined, guards, settings);

  it('forgets a silent replica after 10 min by default, and refuses a forgetAfter within two publish periods', () => {
    expect(resolve({}).replicas).toEqual({
      publishEveryMs: 5_000,
      forgetAfterMs: 600_000,
      pollControlsMs: 500,
    });
    expect(problemsOf({ replicas: { publishEvery: '5s', forgetAfter: '10s' } })).toEqual([
      'replicas.forgetAfter: must be longer than twice publishEvery: a replica that stops publishing is shown as lost after twice publishEvery, and forgotten after forgetAfter',
    ]);
    expect(problemsOf({ replicas: { expireAfter: '1s' } })).toEqual([
      'replicas.expireAfter: must be longer than publishEvery, or replicas drop out between two snapshots',
    ]);
  });

  it('believes no forwarded header by default', () => {
    expect(resolve({}).trustProxy).toBe(false);
    expect(resolve({ trustProxy: true }).trustProxy).toBe(true);
    expect(problemsOf({ trustProxy: 'yes' })).toEqual(['trustProxy: must be true or false']);
  });

  it('checks the Host for control without a guard, or once allowedHosts is given', () => {
    const guard = { canActivate: () => true };
    expect(resolve({}).checkHost).toBe(false);
    expect(resolve({ control: true }, [guard]).checkHost).toBe(false);
    expect(resolve({ control: true, allowUnguardedControl: true }).checkHost).toBe(true);
    expect(resolve({ control: true, allowedHosts: ['Ops.Example.com'] }, [guard])).toMatchObject({
      checkHost: true,
      allowedHosts: ['ops.example.com'],
    });
  });

  it('refuses an allowedHosts entry that is not a host name', () => {
    for (const bad of [
      ['https://ops.example.com'],
      ['ops.example.com/routines'],
      [''],
      [42],
      'ops',
    ]) {
      expect(problemsOf({ allowedHosts: bad })).toEqual([
        "allowedHosts: must be an array of host names such as 'ops.example.com', 'ops.example.com:8080' or '.example.com' (no scheme, no path)",
      ]);
    }
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
