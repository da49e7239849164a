/**
 * An in-memory job table with the statements' semantics (claim and state fences, heartbeats on
 * the clock's time), and hooks to hold a call or make it fail: the DbWorker's unit tests run on
 * it with a ManualClock.
 */
import type { ManualClock } from '../../../lib/core/manual-clock';
import type { PostgresWorkerTable } from '../../../lib/worker/postgres-worker-table';
import { jobKey, type ClaimedJob, type FailOutcome } from '../../../lib/worker/claimed-job';
import { storedMessage } from '../../../lib/worker/stored-message';

export interface FakeRow {
  id: string;
  state: 'queued' | 'processing' | 'completed' | 'errored' | 'failed' | 'canceled';
  claim: string | null;
  heartbeatAt: number | null;
  numFailures: number;
  numResets: number;
  failureMessage: string | null;
  cancel: boolean;
  /** Which claim wrote the row's end. */
  endedBy?: string;
}

/** A call held until the test lets it go. */
export class Gate {
  private opened!: () => void;
  readonly promise = new Promise<void>((resolve) => (this.opened = resolve));
  open(): void {
    this.opened();
  }
}

export class FakeTable {
  readonly kind = 'fake table';
  readonly outageSource = this;
  readonly rows = new Map<string, FakeRow>();
  readonly calls: string[] = [];
  /** Set to hold the next calls of that statement until opened. */
  gates: Partial<Record<'dequeue' | 'heartbeat' | 'requeue', Gate>> = {};
  /** Set to make every call of that statement throw. */
  failing = new Set<'dequeue' | 'heartbeat' | 'complete' | 'fail'>();
  private next = 1;

  constructor(private readonly clock: ManualClock) {}

  /** As the worker sees it. */
  get asTable(): PostgresWorkerTable<{ id: string }> {
    return this as unknown as PostgresWorkerTable<{ id: string }>;
  }

  add(count: number): string[] {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = String(this.next++);
      this.rows.set(id, {
        id,
        state: 'queued',
        claim: null,
        heartbeatAt: null,
        numFailures: 0,
        numResets: 0,
        failureMessage: null,
        cancel: false,
      });
      ids.push(id);
    }
    return ids;
  }

  row(id: string): FakeRow {
    return this.rows.get(id)!;
  }

  private async enter(statement: 'dequeue' | 'heartbeat' | 'complete' | 'fail' | 'requeue') {
    this.calls.push(statement);
    const gate = this.gates[statement as 'dequeue'];
    if (gate) await gate.promise;
    if (this.failing.has(statement as 'dequeue')) throw new Error(`${statement}: connection lost`);
  }

  private mine(job: Pick<ClaimedJob, 'id' | 'claim'>): FakeRow | undefined {
    const row = this.rows.get(job.id);
    return row && row.state === 'processing' && row.claim === job.claim ? row : undefined;
  }

  async dequeue(limit: number, claim: string): Promise<Array<ClaimedJob<{ id: string }>>> {
    await this.enter('dequeue');
    const jobs: Array<ClaimedJob<{ id: string }>> = [];
    for (const row of this.rows.values()) {
      if (jobs.length >= limit) break;
      if ((row.state !== 'queued' && row.state !== 'errored') || row.cancel) continue;
      row.state = 'processing';
      row.claim = claim;
      row.heartbeatAt = this.clock.now();
      jobs.push({ id: row.id, row: { id: row.id }, attempt: row.numFailures + 1, claim });
    }
    return jobs;
  }

  async heartbeat(jobs: ReadonlyArray<Pick<ClaimedJob, 'id' | 'claim'>>) {
    await this.enter('heartbeat');
    const alive = new Set<string>();
    const cancel = new Set<string>();
    for (const job of jobs) {
      const row = this.mine(job);
      if (!row) continue;
      row.heartbeatAt = this.clock.now();
      alive.add(jobKey(job));
      if (row.cancel) cancel.add(jobKey(job));
    }
    return { alive, cancel };
  }

  async completeAll(jobs: ReadonlyArray<Pick<ClaimedJob, 'id' | 'claim'>>): Promise<Set<string>> {
    await this.enter('complete');
    const done = new Set<string>();
    for (const job of jobs) {
      const row = this.mine(job);
      if (!row) continue;
      row.state = 'completed';
      row.endedBy = job.claim;
      done.add(jobKey(job));
    }
    return done;
  }

  async fail(
    job: ClaimedJob<{ id: string }>,
    message: string,
    options: { maxAttempts: number; retryInMs: number; retry: boolean },
  ): Promise<FailOutcome> {
    await this.enter('fail');
    const row = this.mine(job);
    if (!row) return 'fenced';
    row.numFailures++;
    row.state = !options.retry || row.numFailures >= options.maxAttempts ? 'failed' : 'errored';
    row.failureMessage = storedMessage(message);
    row.endedBy = job.claim;
    return row.state;
  }

  async cancelled(job: ClaimedJob<{ id: string }>, message: string): Promise<boolean> {
    const row = this.mine(job);
    if (!row) return false;
    row.state = 'canceled';
    row.failureMessage = message;
    return true;
  }

  async requeue(job: ClaimedJob<{ id: string }>): Promise<boolean> {
    await this.enter('requeue');
    const row = this.mine(job);
    if (!row) return false;
    row.state = 'queued';
    row.claim = null;
    row.heartbeatAt = null;
    return true;
  }

  /** What another worker's resetter does: processing rows with no heartbeat for `stalledAfterMs`. */
  async resetStalled(stalledAfterMs: number, maxResets: number) {
    let reset = 0;
    let failed = 0;
    for (const row of this.rows.values()) {
      if (row.state !== 'processing' || this.clock.now() - row.heartbeatAt! < stalledAfterMs)
        continue;
      row.numResets++;
      row.claim = null;
      row.heartbeatAt = null;
      if (row.numResets > maxResets) {
        row.state = 'failed';
        failed++;
      } else {
        row.state = 'queued';
        reset++;
      }
    }
    return { reset, failed };
  }

  /** A reset of one row, whatever its heartbeat (an operator, or a resetter with a skewed clock). */
  resetNow(id: string): void {
    const row = this.row(id);
    row.state = 'queued';
    row.claim = null;
    row.numResets++;
  }
}
