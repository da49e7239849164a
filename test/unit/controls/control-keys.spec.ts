/**
 * The controls as the coordinator stores them (`pause:<routine>`, `interval:<routine>` → JSON):
 * keys split at the first colon, corrupt or foreign entries left out, both kinds grouped by routine.
 */
import {
  controlKey,
  indexControls,
  parseControl,
  splitKey,
} from '../../../lib/controls/control-keys';
import { scheduleSpecOf } from '../../../lib/controls/schedule-spec';

describe('control keys', () => {
  it('keys a control by kind and routine, and splits at the first colon only', () => {
    expect(controlKey('pause', 'a:b')).toBe('pause:a:b');
    expect(splitKey('pause:a:b')).toEqual(['pause', 'a:b']);
    expect(splitKey('nocolon')).toEqual(['nocolon', undefined]);
  });

  it('parses JSON objects only', () => {
    expect(parseControl('{"paused":true,"at":1,"by":"r"}')).toEqual({
      paused: true,
      at: 1,
      by: 'r',
    });
    expect(parseControl('not json')).toBeUndefined();
    expect(parseControl('null')).toBeUndefined();
    expect(parseControl('3')).toBeUndefined();
  });

  it('groups the pause and the interval of a routine, leaving out what is not a control', () => {
    const pause = { paused: true, at: 1, by: 'r' };
    const interval = { interval: '5m', at: 2, by: 'r' };
    const byRoutine = indexControls(
      new Map([
        ['pause:a', JSON.stringify(pause)],
        ['interval:a', JSON.stringify(interval)],
        ['pause:b', 'corrupt'],
        ['other:c', JSON.stringify(pause)],
        ['pause', JSON.stringify(pause)],
      ]),
    );
    expect([...byRoutine.keys()]).toEqual(['a']);
    expect(byRoutine.get('a')).toEqual({ pause, interval });
  });

  it('reads a schedule back as setInterval takes it', () => {
    expect(scheduleSpecOf({ schedule: 'every 5m', intervalMs: 300_000 })).toBe(300_000);
    expect(scheduleSpecOf({ schedule: 'cron 0 3 * * *' })).toEqual({ cron: '0 3 * * *' });
    expect(scheduleSpecOf({ schedule: 'cron 0 3 * * * (Europe/Berlin)' })).toEqual({
      cron: '0 3 * * *',
      timeZone: 'Europe/Berlin',
    });
  });
});
