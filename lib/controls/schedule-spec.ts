import type { IntervalSpec } from '../core';

/** A periodic routine's schedule as `setInterval` takes it, read back from its snapshot. */
export function scheduleSpecOf(info: {
  schedule?: string;
  intervalMs?: number;
}): IntervalSpec | undefined {
  const cron = /^cron (.+?)(?: \((.+)\))?$/.exec(info.schedule ?? '');
  if (cron) return cron[2] ? { cron: cron[1], timeZone: cron[2] } : { cron: cron[1] };
  return info.intervalMs;
}
