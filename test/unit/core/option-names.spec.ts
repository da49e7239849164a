import {
  PeriodicRoutine,
  RoutinesConfigurationError,
  SupervisedRoutine,
  unknownOptionProblems,
  type EveryKeyListed,
  type UnlistedKeys,
} from '../../../lib/core';

describe('unknown option names', () => {
  it('refuses a misspelt PeriodicRoutine option, naming the routine, the option, its value and the known ones', () => {
    const build = () =>
      new PeriodicRoutine(() => undefined, { name: 'janitor', intrval: '1m' } as never);
    expect(build).toThrow(RoutinesConfigurationError);
    expect(build).toThrow(
      "PeriodicRoutine 'janitor' (routine 'janitor'): option 'intrval' = '1m' is not an option of this routine (did you mean 'interval'?); the options are align, backoff, catchup, clock, concurrency, coordinator",
    );
  });

  it('refuses an unknown SupervisedRoutine option and accepts the runtime collaborators', () => {
    expect(
      () => new SupervisedRoutine(async () => undefined, { name: 'consumer', retries: 3 } as never),
    ).toThrow(/option 'retries' = 3 is not an option of this routine; the options are/);
    expect(
      () =>
        new SupervisedRoutine(async () => undefined, {
          name: 'consumer',
          logger: { log() {}, warn() {}, error() {} },
          random: Math.random,
        }),
    ).not.toThrow();
  });

  it("refuses 'version' on a PeriodicRoutine, whose options type has none; SupervisedRoutine takes it", () => {
    // The runtime names were one list for both kinds, so a PeriodicRoutine took `version`
    // (a SupervisedRoutine's option) although PeriodicRoutineOptions has no such key.
    expect(
      () =>
        new PeriodicRoutine(() => undefined, {
          name: 'janitor',
          interval: '1m',
          version: 'v1',
        } as never),
    ).toThrow(/option 'version' = 'v1' is not an option of this routine; the options are/);
    expect(
      () => new SupervisedRoutine(async () => undefined, { name: 'seed', version: 'v1' }),
    ).not.toThrow();
  });

  it('suggests the nearest name only when it is close, counting a swap of neighbours as one edit', () => {
    const known = ['interval', 'concurrency', 'timeout', 'overlap'];
    const messages = (options: object) =>
      unknownOptionProblems(options, known).map((problem) => problem.message);
    expect(messages({ overlpa: 'skip' })[0]).toContain("(did you mean 'overlap'?)");
    expect(messages({ Timeout: 5 })[0]).toContain("(did you mean 'timeout'?)");
    expect(messages({ concurrrency: 2 })[0]).toContain("(did you mean 'concurrency'?)");
    expect(messages({ retries: 3 })[0]).not.toContain('did you mean');
    expect(messages({ interval: '1m', timeout: 5 })).toEqual([]);
    expect(unknownOptionProblems({ a: 1, b: 2 }, known).map((problem) => problem.option)).toEqual([
      'a',
      'b',
    ]);
  });
});

describe('the lists of option names', () => {
  it('fail the type check when a key of the interface is left out (tsc runs over the tests)', () => {
    interface Options {
      interval?: string;
      timeout?: number;
    }
    type _AllListed = EveryKeyListed<UnlistedKeys<Options, readonly ['interval', 'timeout']>>;
    // @ts-expect-error: 'timeout' is a key of Options and not in the list
    type _OneLeftOut = EveryKeyListed<UnlistedKeys<Options, readonly ['interval']>>;
    const unlisted: UnlistedKeys<Options, readonly ['interval']> = 'timeout';
    expect(unlisted).toBe('timeout');
  });
});
