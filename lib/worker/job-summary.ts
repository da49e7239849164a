import type { JobSummary } from './interfaces/job-list.interface';

/** The most of a payload a list shows, in bytes of JSON; a larger one is cut and marked. */
export const LISTED_PAYLOAD_BYTES = 8192;

/** A row of `listJobsSql`, as `pg` gives it. */
export interface ListedRow {
  id: string;
  state: string;
  num_failures: number | string;
  num_resets: number | string;
  queued_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  process_after: Date | null;
  error: string | null;
  cancel: boolean;
  cursor: string;
  key?: string | null;
  payload?: string | null;
  payload_bytes?: number | string | null;
}

/**
 * A listed row as an operator sees it. Attempts started: the failures and resets counted,
 * and one more for the attempt running, or the last one when it succeeded or was canceled
 * while it ran (neither counts in the row).
 */
export function jobSummary(row: ListedRow): JobSummary {
  const ranLast =
    row.state === 'processing' ||
    row.state === 'completed' ||
    (row.state === 'canceled' && row.started_at !== null);
  const summary: JobSummary = {
    id: row.id,
    state: row.state,
    attempts: Number(row.num_failures) + Number(row.num_resets) + (ranLast ? 1 : 0),
    queuedAt: row.queued_at.getTime(),
    cancel: row.cancel,
  };
  if (row.started_at) summary.startedAt = row.started_at.getTime();
  if (row.finished_at) summary.finishedAt = row.finished_at.getTime();
  const waiting = row.state === 'queued' || row.state === 'errored';
  if (waiting && row.process_after) summary.runAfter = row.process_after.getTime();
  if (row.error !== null) summary.error = row.error;
  if (row.key !== undefined && row.key !== null) summary.key = row.key;
  if (row.payload !== undefined && row.payload !== null) {
    summary.payload = listedPayload(row.payload, Number(row.payload_bytes));
  }
  return summary;
}

/** The payload itself, or past {@link LISTED_PAYLOAD_BYTES} its start as text, marked. */
function listedPayload(json: string, bytes: number): unknown {
  if (bytes <= LISTED_PAYLOAD_BYTES) return JSON.parse(json) as unknown;
  let kept = Buffer.from(json).subarray(0, LISTED_PAYLOAD_BYTES).toString('utf8');
  if (kept.endsWith('\uFFFD')) kept = kept.slice(0, -1); // a character cut in the middle
  return `${kept}… [cut: ${bytes - Buffer.byteLength(kept)} bytes]`;
}
