import { PayloadTooLargeError } from './worker.errors';
import { MESSAGES } from './worker.messages';

/** The default of {@link PostgresWorkerStoreOptions.maxPayloadBytes}: 1 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

const QUEUE_NAME = /^[A-Za-z0-9_.:-]{1,200}$/;

/** Refuses a plain queue's name that is not letters, digits, '_', '.', ':' or '-' (1 to 200). */
export function checkQueueName(name: string): void {
  if (!QUEUE_NAME.test(name)) throw new RangeError(MESSAGES.notQueueName(name));
}

/**
 * A payload as `enqueue` stores it: its JSON (`null` for undefined), refused with a
 * {@link PayloadTooLargeError} past `maxBytes` of UTF-8.
 */
export function payloadJson(queue: string, payload: unknown, maxBytes: number): string {
  const json = JSON.stringify(payload ?? null);
  // A string's JSON is at least its length in bytes: most payloads skip the count.
  if (json.length > maxBytes / 3) {
    const bytes = Buffer.byteLength(json);
    if (bytes > maxBytes) throw new PayloadTooLargeError(queue, bytes, maxBytes);
  }
  return json;
}
