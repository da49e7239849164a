/** A row this process claimed: the row as the table has it, and the claim that fences its writes. */
export interface ClaimedJob<Row = Record<string, unknown>> {
  /** The row's id, as text (the key of every later call). */
  id: string;
  row: Row;
  /** 1 for the first attempt, then failures so far + 1. */
  attempt: number;
  /** `host:pid:token.n`, written into the hostname column at dequeue: new for every dequeue. */
  claim: string;
}

/**
 * How heartbeat and completion answers name one attempt: the row's id and the claim of its
 * dequeue (one worker may hold a row again, after a reset, while its old attempt still runs).
 */
export function jobKey(job: Pick<ClaimedJob, 'id' | 'claim'>): string {
  return `${job.id}\u0000${job.claim}`;
}

/** How a failed attempt ended in the table. */
export type FailOutcome = 'errored' | 'failed' | 'fenced';
