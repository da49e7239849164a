import { ManualClock, PeriodicRoutine, type RoutineEvent } from '../../../lib/core';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('PeriodicRoutine.pause with a note', () => {
  it('keeps when, why and who while paused, tells it in the paused event, and forgets it on resume and stop', async () => {
    const clock = new ManualClock(1000);
    const events: RoutineEvent[] = [];
    const routine = new PeriodicRoutine(() => undefined, {
      name: 'job',
      interval: '1m',
      clock,
      logger: quiet,
      onEvent: (event) => events.push(event),
    });
    routine.start();
    routine.pause({ note: 'reindexing', by: 'alice' });
    expect(routine.info().paused).toEqual({ at: 1000, note: 'reindexing', by: 'alice' });
    expect(events.find((event) => event.type === 'paused')!.pause).toEqual({
      at: 1000,
      note: 'reindexing',
      by: 'alice',
    });
    // What info() hands out is a copy.
    routine.info().paused!.note = 'changed';
    expect(routine.info().paused!.note).toBe('reindexing');
    await clock.advance(5000);
    routine.pause({ note: 'reindexing, half done' });
    expect(routine.info().paused).toEqual({ at: 1000, note: 'reindexing, half done', by: 'alice' });
    routine.resume();
    expect(routine.info().paused).toBeUndefined();
    routine.pause({ note: '', by: '' }); // empty fields are left out
    expect(routine.info().paused).toEqual({ at: 6000 });
    await routine.stop();
    expect(routine.info().paused).toBeUndefined();
  });

  it('ignores a note on a routine that is not running or paused', () => {
    const routine = new PeriodicRoutine(() => undefined, {
      name: 'job',
      interval: '1m',
      logger: quiet,
    });
    routine.pause({ note: 'too early' });
    expect(routine.state).toBe('idle');
    expect(routine.info().paused).toBeUndefined();
  });
});
