import {
  summarizeError,
  type Clock,
  type EndStatus,
  type RunRecorder,
  type SkipReason,
} from '../core';

/** One run (or skipped tick) as `registry.history()` gives it; plain data, JSON-safe. */
export interface RunRecord {
  /** The run's `RunContext.runId`; absent for a skipped tick, which is not a run. */
  id?: number;
  status: EndStatus | 'skipped';
  /** Why a tick was skipped. */
  reason?: SkipReason;
  /** When it was due (wall-clock ms): the tick, the cluster slot, the trigger, the attempt's start. */
  dueAt: number;
  /** When it started (wall-clock ms); absent for a skipped tick. */
  startedAt?: number;
  durationMs?: number;
  /**
   * What a failed or cancelled run threw, as `{ name, message }`; read from the engine's run
   * history, with its `stack` too (message and stack capped at 2,000 and 8,000 characters).
   */
  error?: { name: string; message: string; stack?: string };
  /** Cluster periodic routines: the slot this replica claimed and ran. */
  slot?: number;
  /** Cluster background routines: the lease's fencing epoch during the attempt. */
  epoch?: number;
  /** Background: the wait before the restart that followed this failed attempt. */
  restartDelayMs?: number;
  /** A run `backfill()` started, for a past due time. */
  backfill?: true;
  /**
   * The replica that ran it (`host:pid:start`, as the dashboard names replicas): set on the
   * records `registry.history(name, { from, to, replica })` returns.
   */
  replica?: string;
}

// Offsets in a record's FIELDS doubles; CODES packs status (2 bits), WALL and the reason.
const ID = 0;
const DUE = 1;
const START = 2;
const END = 3;
const EPOCH = 4;
const DELAY = 5;
const CODES = 6;
const FIELDS = 7;
const WALL = 4;
/** In CODES above the skip reason (three bits from 8): a backfill run. */
const BACKFILL = 64;

const STATUSES: readonly RunRecord['status'][] = ['succeeded', 'failed', 'cancelled', 'skipped'];
const SKIPPED = 3;
const REASONS: readonly SkipReason[] = [
  'busy',
  'late',
  'backoff',
  'stopped',
  'claimed',
  'claim-error',
  'missed',
];

/**
 * The last `capacity` runs of one routine, in a fixed ring of typed arrays: recording a run
 * writes numbers in place and allocates nothing (a failure keeps its `{ name, message }`).
 * Times are kept as the routine gives them (monotonic) and converted when read.
 *
 * @example
 * const history = new RunHistory(100);
 * const routine = new PeriodicRoutine(handler, { interval: '1m', recorder: history });
 * history.records(systemClock, 10); // the last ten, newest first
 */
export class RunHistory implements RunRecorder {
  /**
   * Per record, FIELDS doubles: id, due, start, end, epoch, restart delay (NaN: none), and the
   * status, skip reason and due-on-wall flag packed in one. One array, made at the first
   * record: a run's write touches one stretch of memory.
   */
  private ring: Float64Array | undefined = undefined;
  /** Made at the first failure: most routines never fail. */
  private errors: Array<{ name: string; message: string } | undefined> | undefined = undefined;
  /** Where the next record goes. */
  private next = 0;
  private size = 0;

  constructor(
    readonly capacity: number,
    /** Cluster periodic routines: a run's due time is its slot. */
    private readonly slots = false,
  ) {}

  /** How many records are kept. */
  get length(): number {
    return this.size;
  }

  ran(
    id: number,
    status: EndStatus,
    due: number,
    dueOnWall: boolean,
    startedAt: number,
    finishedAt: number,
    error: unknown,
    epoch: number | undefined,
    backfill?: boolean,
  ): void {
    const i = this.claim();
    const code =
      (status === 'succeeded' ? 0 : status === 'failed' ? 1 : 2) | (backfill ? BACKFILL : 0);
    this.write(i, id, due, startedAt, finishedAt, epoch ?? NaN, code, 0, dueOnWall);
    const failed = status !== 'succeeded' && error !== undefined;
    if (failed)
      (this.errors ??= new Array(this.capacity).fill(undefined))[i] = summarizeError(error);
    else if (this.errors) this.errors[i] = undefined;
  }

  skipped(due: number, dueOnWall: boolean, reason: SkipReason, at: number): void {
    const i = this.claim();
    this.write(i, NaN, due, at, at, NaN, SKIPPED, REASONS.indexOf(reason), dueOnWall);
    if (this.errors) this.errors[i] = undefined;
  }

  restartScheduled(delayMs: number): void {
    if (this.size > 0) this.ring![this.indexOf(0) * FIELDS + DELAY] = delayMs;
  }

  /** The records, newest first, at most `limit`, with wall-clock times. */
  records(clock: Clock, limit = this.capacity): RunRecord[] {
    const count = Math.min(this.size, Math.max(0, Math.floor(limit)));
    const records: RunRecord[] = [];
    for (let n = 0; n < count; n++) records.push(this.record(this.indexOf(n), clock));
    return records;
  }

  private record(i: number, clock: Clock): RunRecord {
    const ring = this.ring!;
    const at = i * FIELDS;
    const codes = ring[at + CODES];
    const status = STATUSES[codes & 3];
    const due = ring[at + DUE];
    const dueAt = codes & WALL ? due : clock.wallOf(due);
    if (status === 'skipped') return { status, reason: REASONS[(codes >> 3) & 7], dueAt };
    const record: RunRecord = {
      id: ring[at + ID],
      status,
      dueAt,
      startedAt: clock.wallOf(this.start(i)),
      durationMs: this.end(i) - this.start(i),
    };
    const error = this.errors?.[i];
    if (error !== undefined) record.error = { ...error };
    if (this.slots) record.slot = dueAt;
    const epoch = ring[at + EPOCH];
    if (!Number.isNaN(epoch)) record.epoch = epoch;
    const delay = ring[at + DELAY];
    if (!Number.isNaN(delay)) record.restartDelayMs = delay;
    if (codes & BACKFILL) record.backfill = true;
    return record;
  }

  private start(i: number): number {
    return this.ring![i * FIELDS + START];
  }

  private end(i: number): number {
    return this.ring![i * FIELDS + END];
  }

  private write(
    i: number,
    id: number,
    due: number,
    start: number,
    end: number,
    epoch: number,
    status: number,
    reason: number,
    dueOnWall: boolean,
  ): void {
    const ring = this.ring!;
    const at = i * FIELDS;
    ring[at + ID] = id;
    ring[at + DUE] = due;
    ring[at + START] = start;
    ring[at + END] = end;
    ring[at + EPOCH] = epoch;
    ring[at + DELAY] = NaN;
    ring[at + CODES] = status | (dueOnWall ? WALL : 0) | (reason << 3);
  }

  /** The `n`th newest record's index (0: the newest). */
  private indexOf(n: number): number {
    return (this.next - 1 - n + this.capacity * 2) % this.capacity;
  }

  /** The index for a new record: the oldest one's once the ring is full. */
  private claim(): number {
    this.ring ??= new Float64Array(this.capacity * FIELDS);
    const i = this.next;
    this.next = i + 1 === this.capacity ? 0 : i + 1;
    if (this.size < this.capacity) this.size++;
    return i;
  }
}
