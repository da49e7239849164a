import { BadRequestException } from '@nestjs/common';
import type { IntervalSpec, OverlapPolicy, PauseInfo } from '../core';
import { OVERLAP_POLICIES } from '../core/overlap-options';
import { MESSAGES } from './dashboard.messages';

// What the control endpoints read from a request: its body, checked (a bad value is a 400 that
// says what was expected), its `?wait=1`, and whether a form posted it without script.

function bodyOf(request: unknown): Record<string, unknown> | undefined {
  const body = (request as { body?: unknown }).body;
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
}

/** `?wait=1` (or `true`): answer once the action has ended. */
export function waits(request: unknown): boolean {
  const wait = (request as { query?: Record<string, unknown> }).query?.wait;
  return wait === '1' || wait === 'true';
}

/** The body's `overlap`, one of `TriggerOptions.overlap`'s values. */
export function overlapFrom(request: unknown): OverlapPolicy | undefined {
  const overlap = bodyOf(request)?.overlap;
  if (overlap === undefined) return undefined;
  if (typeof overlap === 'string' && OVERLAP_POLICIES.includes(overlap as OverlapPolicy))
    return overlap as OverlapPolicy;
  throw new BadRequestException(MESSAGES.badOverlap(overlap));
}

/**
 * Body (optional): `{ "note": "billing API down", "by": "alice" }`; empty fields are left out.
 * `by` is the operator when the request tells one.
 */
export function pauseFrom(request: unknown, operator: string | undefined): PauseInfo | undefined {
  const body = bodyOf(request);
  const info: PauseInfo = {};
  for (const key of ['note', 'by'] as const) {
    const value = body?.[key];
    if (typeof value === 'string' && value.trim() !== '') info[key] = value.trim();
    else if (value !== undefined && typeof value !== 'string') {
      throw new BadRequestException(`${key} must be a string, not ${JSON.stringify(value)}`);
    }
  }
  if (operator !== undefined) info.by = operator;
  return body || operator !== undefined ? info : undefined;
}

export function intervalFrom(request: unknown): IntervalSpec {
  const body = bodyOf(request);
  const interval = body?.interval;
  if (typeof interval === 'string' && interval.trim() !== '')
    return /^\d+$/.test(interval) ? Number(interval) : interval.trim();
  if (typeof interval === 'number') return interval;
  if (typeof body?.cron === 'string' && body.cron.trim() !== '') {
    const timeZone = typeof body.timeZone === 'string' && body.timeZone ? body.timeZone : undefined;
    return timeZone ? { cron: body.cron.trim(), timeZone } : { cron: body.cron.trim() };
  }
  throw new BadRequestException(MESSAGES.badInterval);
}

/** `{ from, to, overlap? }`: ISO times or epoch ms. */
export function backfillFrom(request: unknown): {
  from: number;
  to: number;
  overlap?: OverlapPolicy;
} {
  const body = bodyOf(request);
  const time = (key: 'from' | 'to'): number => {
    const value = body?.[key];
    const ms =
      typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
    if (!Number.isFinite(ms)) throw new BadRequestException(MESSAGES.badBackfillTime(key, value));
    return ms;
  };
  const range = { from: time('from'), to: time('to') };
  const overlap = overlapFrom(request);
  return overlap ? { ...range, overlap } : range;
}

export function wantsPage(request: unknown): boolean {
  const accept = String((request as { headers?: Record<string, unknown> }).headers?.accept ?? '');
  return accept.includes('text/html') && !accept.includes('application/json');
}
