import { shortestCronGap, underMinInterval } from '../../../lib/dashboard/min-interval';
import { operatorFromUser, operatorOf } from '../../../lib/dashboard/operator';

describe('underMinInterval', () => {
  it('refuses an interval under the minimum, naming both', () => {
    expect(underMinInterval('1ms', 1000)).toBe(
      "interval '1ms' is under the dashboard's minInterval '1s'; give a longer one, or lower minInterval in RoutinesDashboardModule.forRoot",
    );
    expect(underMinInterval(500, 1000)).toContain("interval '500'");
    expect(underMinInterval('1s', 1000)).toBeUndefined();
    expect(underMinInterval('5m', 1000)).toBeUndefined();
  });

  it('is off at 0, and leaves a bad value to the routine (which says why)', () => {
    expect(underMinInterval('1ms', 0)).toBeUndefined();
    expect(underMinInterval('soon', 1000)).toBeUndefined();
    expect(underMinInterval({ cron: 'not a cron' }, 1000)).toBeUndefined();
  });

  it('measures a cron by the shortest gap between its due times', () => {
    expect(shortestCronGap({ cron: '* * * * * *' })).toBe(1000);
    expect(shortestCronGap({ cron: '*/10 * * * * *' })).toBe(10_000);
    expect(shortestCronGap({ cron: '0 3 * * *' })).toBe(24 * 3600_000);
    // Two minutes a day, one apart: the gap is a minute, not the day.
    expect(shortestCronGap({ cron: '0,1 3 * * *' })).toBe(60_000);
    expect(underMinInterval({ cron: '*/10 * * * * *' }, 60_000)).toBe(
      "cron '*/10 * * * * *' fires 10s apart, under the dashboard's minInterval '1m'; give a longer one, or lower minInterval in RoutinesDashboardModule.forRoot",
    );
    expect(underMinInterval({ cron: '0 * * * *' }, 60_000)).toBeUndefined();
  });
});

describe('operatorFromUser (the default operator)', () => {
  it("reads the guard's request.user: a string, or its username, name, email, id or sub", () => {
    expect(operatorFromUser({ user: 'alice' })).toBe('alice');
    expect(operatorFromUser({ user: { username: 'bob', email: 'b@x' } })).toBe('bob');
    expect(operatorFromUser({ user: { name: 'Carol' } })).toBe('Carol');
    expect(operatorFromUser({ user: { email: 'd@example.com' } })).toBe('d@example.com');
    expect(operatorFromUser({ user: { id: 42 } })).toBe('42');
    expect(operatorFromUser({ user: { sub: 'auth0|7' } })).toBe('auth0|7');
  });

  it('tells none without a user, or with one that names nobody', () => {
    expect(operatorFromUser({})).toBeUndefined();
    expect(operatorFromUser({ user: { roles: ['admin'] } })).toBeUndefined();
    expect(operatorFromUser({ user: '  ' })).toBeUndefined();
    expect(operatorFromUser(null)).toBeUndefined();
  });

  it('an operator option that throws or returns no string tells none', () => {
    expect(operatorOf(() => 'eve', {})).toBe('eve');
    expect(
      operatorOf(() => {
        throw new Error('no header');
      }, {}),
    ).toBeUndefined();
    expect(operatorOf(() => 7 as unknown as string, {})).toBeUndefined();
  });
});
