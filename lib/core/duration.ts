// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured choices".
import ms from 'ms';

/**
 * A duration: a number of milliseconds, or a string such as `'250ms'`, `'90s'`, `'2m'`,
 * `'1.5h'` or `'1d'` (parsed by the `ms` package).
 */
export type Duration = number | string;

/** The longest delay `setTimeout` honours; past it Node fires the timer after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A problem found in one option; the caller adds who owns the option. */
export interface OptionProblem {
  option: string;
  value: unknown;
  message: string;
}

/**
 * Parses a duration into whole milliseconds, or returns why it cannot.
 * Zero is refused unless `allowZero`: a zero interval would spin.
 */
export function parseDuration(
  value: unknown,
  { allowZero = false }: { allowZero?: boolean } = {},
): { ms: number } | { problem: string } {
  const parsed =
    typeof value === 'number' ? value : typeof value === 'string' ? parseMs(value) : NaN;
  if (typeof value !== 'number' && typeof value !== 'string') {
    return { problem: `must be a number of milliseconds or a string such as '90s' or '2m'` };
  }
  if (parsed === undefined || !Number.isFinite(parsed)) {
    return {
      problem: `is not a duration (use a number of milliseconds or a string such as '90s', '2m', '1.5h')`,
    };
  }
  // Compared after rounding: 0.4 ms is a zero interval too.
  if (parsed < 0 || (Math.round(parsed) === 0 && !allowZero)) {
    return { problem: `must be greater than ${allowZero ? 'or equal to ' : ''}zero` };
  }
  if (parsed > MAX_TIMER_MS) {
    return {
      problem: `is longer than ${MAX_TIMER_MS} ms (about 24.8 days), the longest delay a Node.js timer supports`,
    };
  }
  return { ms: Math.round(parsed) };
}

/** `ms` returns undefined for text it cannot parse, but throws on an empty string. */
function parseMs(value: string): number | undefined {
  try {
    return ms(value as ms.StringValue);
  } catch {
    return undefined;
  }
}

/** Checks one duration option; pushes a problem and returns undefined when it is bad. */
export function checkDuration(
  problems: OptionProblem[],
  option: string,
  value: unknown,
  opts?: { allowZero?: boolean },
): number | undefined {
  if (value === undefined) return undefined;
  const result = parseDuration(value, opts);
  if ('ms' in result) return result.ms;
  problems.push({ option, value, message: result.problem });
  return undefined;
}

/** Like {@link parseDuration} but throws; for run-time calls such as `setInterval('30s')`. */
export function toMilliseconds(value: Duration, what: string): number {
  const result = parseDuration(value);
  if ('ms' in result) return result.ms;
  throw new RangeError(`${what}: ${formatValue(value)} ${result.problem}`);
}

/** Formats milliseconds for people: 120000 -> '2m'. */
export function formatDuration(milliseconds: number): string {
  // Apps use a handful of intervals, formatted once per routine at startup (measured).
  let text = formatted.get(milliseconds);
  if (text === undefined) {
    text = ms(milliseconds);
    if (formatted.size < 256) formatted.set(milliseconds, text);
  }
  return text;
}

const formatted = new Map<number, string>();

export function formatValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  // JSON.stringify would print NaN and Infinity as null.
  if (typeof value === 'number') return String(value);
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
