import {
  formatDuration,
  MAX_TIMER_MS,
  parseDuration,
  PeriodicRoutine,
  RoutinesConfigurationError,
  SupervisedRoutine,
  toMilliseconds,
  type PeriodicRoutineOptions,
} from '../../../lib/core';

describe('parseDuration', () => {
  it.each([
    ['2m', 120_000],
    ['90s', 90_000],
    ['1.5h', 5_400_000],
    [250, 250],
    ['1d', 86_400_000],
    ['250ms', 250],
    [MAX_TIMER_MS, 2 ** 31 - 1],
  ])('parses %p as %p ms', (input, expected) => {
    expect(parseDuration(input)).toEqual({ ms: expected });
  });

  const notADuration = /is not a duration/;
  const notGreaterThanZero = /must be greater than zero/;
  const tooLong = /longer than 2147483647 ms .*longest delay a Node\.js timer supports/;
  const wrongType = /must be a number of milliseconds or a string/;
  it.each([
    [0, notGreaterThanZero],
    [-1, notGreaterThanZero],
    ['-5s', notGreaterThanZero],
    [0.4, notGreaterThanZero], // rounds to 0 ms: a zero interval would spin
    ['0.2ms', notGreaterThanZero],
    [NaN, notADuration],
    [Infinity, notADuration],
    ['abc', notADuration],
    ['', notADuration],
    [2 ** 31, tooLong],
    ['25d', tooLong],
    [null, wrongType],
    [undefined, wrongType],
    [{}, wrongType],
    [true, wrongType],
  ])('refuses %p: %p', (input, problem) => {
    const result = parseDuration(input);
    expect(result).not.toHaveProperty('ms');
    expect((result as { problem: string }).problem).toMatch(problem);
  });

  it('accepts zero only with allowZero', () => {
    expect(parseDuration(0, { allowZero: true })).toEqual({ ms: 0 });
    expect(parseDuration('0ms', { allowZero: true })).toEqual({ ms: 0 });
    expect((parseDuration(-1, { allowZero: true }) as { problem: string }).problem).toBe(
      'must be greater than or equal to zero',
    );
  });

  it('rounds to whole milliseconds', () => {
    expect(parseDuration(1.6)).toEqual({ ms: 2 });
    expect(parseDuration('1.5ms')).toEqual({ ms: 2 });
  });

  it('toMilliseconds throws a RangeError naming what and the value', () => {
    expect(toMilliseconds('2m', 'interval')).toBe(120_000);
    expect(() => toMilliseconds('soon', 'shutdownTimeout')).toThrow(RangeError);
    expect(() => toMilliseconds('soon', 'shutdownTimeout')).toThrow(
      /^shutdownTimeout: 'soon' is not a duration/,
    );
  });

  it('formatDuration prints milliseconds for people', () => {
    expect(formatDuration(120_000)).toBe('2m');
    expect(formatDuration(1500)).toBe('2s');
    expect(formatDuration(250)).toBe('250ms');
  });
});

describe('PeriodicRoutine options are validated at construction', () => {
  function configurationError(options: PeriodicRoutineOptions): RoutinesConfigurationError {
    try {
      new PeriodicRoutine(() => undefined, { name: 'hard-deleter', ...options });
    } catch (error) {
      expect(error).toBeInstanceOf(RoutinesConfigurationError);
      return error as RoutinesConfigurationError;
    }
    throw new Error('expected the constructor to throw');
  }

  it.each<[string, PeriodicRoutineOptions, string, string, RegExp]>([
    ['an unparsable interval', { interval: 'abc' }, 'interval', "'abc'", /is not a duration/],
    ['a zero interval', { interval: 0 }, 'interval', '0', /greater than zero/],
    ['a negative interval', { interval: -1000 }, 'interval', '-1000', /greater than zero/],
    ['a too-large interval', { interval: '25d' }, 'interval', "'25d'", /longer than/],
    ['a bad timeout', { timeout: 'forever' }, 'timeout', "'forever'", /is not a duration/],
    [
      'a jitter not shorter than the interval',
      { interval: '1s', jitter: '1s' },
      'jitter',
      "'1s'",
      /must be shorter than the interval \(1s\)/,
    ],
    ['concurrency 0', { concurrency: 0 }, 'concurrency', '0', /whole number of at least 1/],
    ['concurrency 1.5', { concurrency: 1.5 }, 'concurrency', '1.5', /whole number of at least 1/],
    [
      'a bad cron expression',
      { interval: { cron: 'every tuesday' } },
      'interval',
      '{"cron":"every tuesday"}',
      /invalid cron expression 'every tuesday'/,
    ],
    [
      'a bad time zone',
      { interval: { cron: '0 3 * * *', timeZone: 'Mars/Olympus' } },
      'interval',
      '{"cron":"0 3 * * *","timeZone":"Mars/Olympus"}',
      /invalid time zone 'Mars\/Olympus'/,
    ],
    ['a bad scope', { scope: 'global' as never }, 'scope', "'global'", /'instance' or 'cluster'/],
    ['a bad backoff factor', { backoff: { factor: 0.5 } }, 'backoff.factor', '0.5', /at least 1/],
  ])(
    '%s throws a RoutinesConfigurationError naming the routine, option and value',
    (_label, options, option, value, problem) => {
      const error = configurationError(options);
      expect(error.message).toContain("PeriodicRoutine 'hard-deleter'");
      expect(error.message).toContain(`option '${option}' = ${value}`);
      expect(error.message).toMatch(problem);
      expect(error.problems).toEqual([
        expect.objectContaining({ routine: 'hard-deleter', option }),
      ]);
    },
  );

  it('reports every problem at once', () => {
    const error = configurationError({ interval: 'abc', timeout: -1, concurrency: 0 });
    expect(error.problems.map((p) => p.option)).toEqual(['interval', 'timeout', 'concurrency']);
    expect(error.message).toMatch(/^Invalid routine configuration \(3 problems\):\n {2}- /);
  });

  it('refuses a handler without handle', () => {
    expect(() => new PeriodicRoutine({} as never, { name: 'x' })).toThrow(
      /option 'handler' .*must be a function or an object with a handle\(signal\) method/,
    );
  });

  it('accepts good options', () => {
    expect(
      () =>
        new PeriodicRoutine(() => undefined, {
          interval: '2m',
          jitter: '10s',
          timeout: '1m',
          initialDelay: 0,
          concurrency: 2,
          backoff: { initialDelay: '1s', maxDelay: '1m', factor: 3 },
          logger: { log: jest.fn(), warn: jest.fn(), error: jest.fn() },
        }),
    ).not.toThrow();
  });
});

describe('SupervisedRoutine options are validated at construction', () => {
  it('names the routine, option and value', () => {
    expect(
      () =>
        new SupervisedRoutine(() => undefined, {
          name: 'consumer',
          restart: { maxRestarts: -1, within: 'a while' },
        }),
    ).toThrow(RoutinesConfigurationError);
    try {
      new SupervisedRoutine(() => undefined, {
        name: 'consumer',
        restart: { maxRestarts: -1, within: 'a while' },
        lease: { ttl: '10s', renewEvery: '10s' },
      });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain("SupervisedRoutine 'consumer'");
      expect(message).toContain("option 'restart.maxRestarts' = -1");
      expect(message).toContain("option 'restart.within' = 'a while' is not a duration");
      expect(message).toContain(
        "option 'lease.renewEvery' = '10s' must be shorter than two thirds of the lease ttl",
      );
    }
    expect.assertions(5);
  });
});
