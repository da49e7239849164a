/** The macros the cron package accepts in place of five or six fields. */
const CRON_MACROS = new Set([
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@midnight',
  '@hourly',
  '@minutely',
  '@secondly',
  '@weekdays',
  '@weekends',
]);

/** One cron field: digits, names (MON, JAN), `*`, `?`, `/`, `-`, `,`, `L`, `#`. */
const CRON_FIELD = /^[\d*?/,\-#A-Za-z]+$/;

/**
 * Whether a string where a duration goes was meant as a cron schedule (the `@Cron('...')`
 * habit): five or six fields of cron characters, at least one of them not a plain word, or a
 * macro such as `@daily`. Used only to add a hint to an error, never to accept the value.
 */
export function looksLikeCron(text: string): boolean {
  const trimmed = text.trim();
  if (CRON_MACROS.has(trimmed.toLowerCase())) return true;
  const fields = trimmed.split(/\s+/);
  if (fields.length < 5 || fields.length > 6) return false;
  return fields.every((field) => CRON_FIELD.test(field)) && fields.some((f) => /[\d*?]/.test(f));
}
