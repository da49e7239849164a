/**
 * Cron in a time zone across daylight-saving changes, the 2026 and 2027 transitions of
 * Europe/Berlin, America/New_York and Australia/Lord_Howe (a 30-minute shift): a local time
 * that does not exist is skipped, a repeated one fires once (at its first instant), and the
 * times are UTC instants, so cluster slot keys are never lost or doubled.
 */
import {
  checkInterval,
  createSchedule,
  ManualClock,
  PeriodicRoutine,
  type CronSpec,
} from '../../../lib/core';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

/** The cron times after `from` up to `days` later, as UTC ISO strings. */
function times(spec: CronSpec, from: string, days: number, cluster = false): string[] {
  const parsed = checkInterval([], 'interval', spec);
  const schedule = createSchedule(spec, parsed, cluster, { logger: quiet });
  const end = Date.parse(from) + days * 86_400_000;
  const out: string[] = [];
  for (let due = schedule.fromNow(Date.parse(from)); due <= end; due = schedule.following(due)) {
    out.push(new Date(due).toISOString());
  }
  return out;
}

/** A local wall time in `zone`, e.g. '2026-03-29 03:00'. */
function local(iso: string, zone: string): string {
  return new Date(iso).toLocaleString('sv-SE', { timeZone: zone, hour12: false }).slice(0, 16);
}

describe('cron across daylight-saving changes', () => {
  it.each([
    // [zone, expression, from, the UTC times expected (the change day's missing time skipped)]
    [
      'Europe/Berlin',
      '30 2 * * *',
      '2026-03-27T12:00:00Z',
      ['2026-03-28T01:30:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z'],
    ],
    [
      'Europe/Berlin',
      '30 2 * * *',
      '2027-03-26T12:00:00Z',
      ['2027-03-27T01:30:00.000Z', '2027-03-29T00:30:00.000Z', '2027-03-30T00:30:00.000Z'],
    ],
    [
      'America/New_York',
      '30 2 * * *',
      '2026-03-06T12:00:00Z',
      ['2026-03-07T07:30:00.000Z', '2026-03-09T06:30:00.000Z', '2026-03-10T06:30:00.000Z'],
    ],
    [
      'America/New_York',
      '30 2 * * *',
      '2027-03-12T12:00:00Z',
      ['2027-03-13T07:30:00.000Z', '2027-03-15T06:30:00.000Z', '2027-03-16T06:30:00.000Z'],
    ],
    [
      'Australia/Lord_Howe',
      '15 2 * * *',
      '2026-10-02T12:00:00Z',
      ['2026-10-02T15:45:00.000Z', '2026-10-04T15:15:00.000Z', '2026-10-05T15:15:00.000Z'],
    ],
  ])('%s %s: the local time that does not exist is skipped', (zone, cron, from, expected) => {
    const got = times({ cron, timeZone: zone }, from, 4);
    expect(got).toEqual(expected);
    expect(got.map((t) => local(t, zone).slice(11))).toEqual(
      got.map(() =>
        cron
          .split(' ')
          .slice(0, 2)
          .reverse()
          .map((f) => f.padStart(2, '0'))
          .join(':'),
      ),
    );
  });

  it.each([
    ['Europe/Berlin', '30 2 * * *', '2026-10-23T12:00:00Z', '2026-10-25'],
    ['Europe/Berlin', '30 2 * * *', '2027-10-29T12:00:00Z', '2027-10-31'],
    ['America/New_York', '30 1 * * *', '2026-10-30T12:00:00Z', '2026-11-01'],
    ['America/New_York', '30 1 * * *', '2027-11-05T12:00:00Z', '2027-11-07'],
    ['Australia/Lord_Howe', '45 1 * * *', '2027-04-02T00:00:00Z', '2027-04-04'],
  ])('%s %s: the repeated local time fires once, at its first instant', (zone, cron, from, day) => {
    const got = times({ cron, timeZone: zone }, from, 4);
    const onTheDay = got.filter((t) => local(t, zone).startsWith(day));
    expect(onTheDay).toHaveLength(1);
    // The first instant: one shift earlier than the same local time after the change.
    const after = got[got.indexOf(onTheDay[0]) + 1];
    const gap = Date.parse(after) - Date.parse(onTheDay[0]);
    expect(gap).toBe(86_400_000 + (zone === 'Australia/Lord_Howe' ? 30 : 60) * 60_000);
    expect(got).toHaveLength(4);
  });

  it('an every-30-minutes cron skips the repeated half hour once, and stays on the real half hours otherwise', () => {
    const got = times(
      { cron: '*/30 * * * *', timeZone: 'Europe/Berlin' },
      '2026-10-24T23:00:00Z',
      0.15,
    );
    expect(got.map((t) => `${t.slice(11, 16)}Z ${local(t, 'Europe/Berlin').slice(11)}`)).toEqual([
      '23:30Z 01:30',
      '00:00Z 02:00',
      '00:30Z 02:30',
      // 01:00Z and 01:30Z are 02:00 and 02:30 again (CET): fired once already.
      '02:00Z 03:00',
      '02:30Z 03:30',
    ]);
  });

  it('in cluster scope the slots are the same UTC instants, none lost or doubled', () => {
    const spec = { cron: '30 2 * * *', timeZone: 'Europe/Berlin' };
    const instance = times(spec, '2026-10-23T12:00:00Z', 4);
    const cluster = times(spec, '2026-10-23T12:00:00Z', 4, true);
    expect(cluster).toEqual(instance);
    expect(new Set(cluster).size).toBe(cluster.length);
  });

  it('a routine on the injected clock runs once a day through the Berlin spring-forward and fall-back days', async () => {
    for (const [start, days] of [
      ['2026-03-27T12:00:00Z', 4],
      ['2026-10-23T12:00:00Z', 4],
    ] as const) {
      const clock = new ManualClock(Date.parse(start));
      const runs: string[] = [];
      const routine = new PeriodicRoutine(
        (_signal, ctx) => void runs.push(local(new Date(ctx.dueAt).toISOString(), 'Europe/Berlin')),
        {
          name: 'nightly',
          interval: { cron: '30 2 * * *', timeZone: 'Europe/Berlin' },
          clock,
          logger: quiet,
        },
      );
      routine.start();
      await clock.advance(days * 86_400_000);
      await routine.stop();
      const expected = start.startsWith('2026-03')
        ? ['2026-03-28 02:30', '2026-03-30 02:30', '2026-03-31 02:30']
        : ['2026-10-24 02:30', '2026-10-25 02:30', '2026-10-26 02:30', '2026-10-27 02:30'];
      expect(runs).toEqual(expected);
    }
  });
});
