/** The longest `failure_message` stored, in UTF-8 bytes; a longer one is cut and marked. */
export const MAX_FAILURE_MESSAGE_BYTES = 8192;

/**
 * A message as stored in `failure_message`: at most `maxBytes` of UTF-8, cut on a character
 * boundary and marked `… [cut: N bytes]` when longer, NUL characters (which PostgreSQL text
 * refuses) written as `\\0`.
 */
export function storedMessage(message: string, maxBytes = MAX_FAILURE_MESSAGE_BYTES): string {
  // eslint-disable-next-line no-control-regex
  const text = message.includes('\u0000') ? message.replace(/\u0000/g, '\\0') : message;
  // A UTF-8 character is at most 3 bytes per UTF-16 unit: short strings skip the count.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return text;
  let kept = Buffer.from(text).subarray(0, maxBytes).toString('utf8');
  // A character cut in the middle decodes as U+FFFD: drop it.
  if (kept.endsWith('\uFFFD')) kept = kept.slice(0, -1);
  return `${kept}… [cut: ${bytes - Buffer.byteLength(kept)} bytes]`;
}
