/** ctx.previous: the last run's outcome and the JSON value its handler returned, for a cursor. */
import { ManualClock, PeriodicRoutine, type RunContext } from '../../../lib/core';
import { recordingLogger } from './helpers';

const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);

describe('ctx.previous', () => {
  it('gives the last run: undefined first, then its status, finish time, error and returned value', async () => {
    const clock = new ManualClock(T0);
    const seen: Array<RunContext['previous']> = [];
    let cursor = 0;
    let fail = false;
    const routine = new PeriodicRoutine(
      async (_signal: AbortSignal, ctx: RunContext) => {
        seen.push(ctx.previous);
        if (fail) throw new Error('database gone');
        cursor = ((ctx.previous?.value as { cursor: number } | undefined)?.cursor ?? 0) + 100;
        return { cursor };
      },
      { name: 'janitor', interval: '1m', clock, logger: recordingLogger() },
    );
    routine.start();
    await clock.advance(0);
    await clock.advance(60_000);
    fail = true;
    await clock.advance(60_000);
    fail = false;
    await clock.advance(60_000);
    expect(seen).toEqual([
      undefined,
      { status: 'succeeded', finishedAt: T0, value: { cursor: 100 } },
      { status: 'succeeded', finishedAt: T0 + 60_000, value: { cursor: 200 } },
      { status: 'failed', finishedAt: T0 + 120_000, error: 'database gone' },
    ]);
    expect(cursor).toBe(100); // the failed run left no value: it started over
    // A copy: changing it changes nothing kept.
    (seen[1]!.value as { cursor: number }).cursor = 999;
    await routine.stop();
  });

  it('does not keep a value over 8 KB or one that is not JSON, and says so once', async () => {
    const clock = new ManualClock(T0);
    const logger = recordingLogger();
    const seen: Array<RunContext['previous']> = [];
    let run = 0;
    const routine = new PeriodicRoutine(
      (_signal: AbortSignal, ctx: RunContext) => {
        seen.push(ctx.previous);
        run++;
        if (run <= 2) return 'x'.repeat(9000);
        const circular: Record<string, unknown> = {};
        circular.self = circular;
        return circular;
      },
      { name: 'big', interval: '1m', clock, logger },
    );
    routine.start();
    await clock.advance(0);
    await clock.advance(3 * 60_000);
    expect(seen[1]).toEqual({ status: 'succeeded', finishedAt: T0 });
    expect(seen[3]).toEqual({ status: 'succeeded', finishedAt: T0 + 120_000 });
    const warnings = logger.messages('warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      'the handler returned 9002 bytes of JSON; ctx.previous keeps at most 8192',
    );
    await routine.stop();
  });
});
