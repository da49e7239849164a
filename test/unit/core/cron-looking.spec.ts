import { looksLikeCron } from '../../../lib/core/cron-looking';

describe('looksLikeCron: a string written for a cron schedule where a duration goes', () => {
  it.each([
    '*/2 * * * * *',
    '0 3 * * *',
    '0 0 * * MON-FRI',
    '30 4 1,15 * 5',
    '0 0 12 ? * WED',
    '@daily',
    '@hourly',
    '@weekdays',
  ])('%p looks like cron', (text) => {
    expect(looksLikeCron(text)).toBe(true);
  });

  it.each([
    '2m',
    '90s',
    '1.5 hours',
    'abc',
    '',
    '* * * *',
    '1 2 3 4 5 6 7',
    '@soon',
    '@every 5m',
    'every 5 m',
  ])('%p does not', (text) => {
    expect(looksLikeCron(text)).toBe(false);
  });
});
