import {
  describeError,
  isError,
  summarizeError,
  type Clock,
  type EndStatus,
  type RunRecorder,
  type SkipReason,
  type StoredRun,
} from '../core';
import type { HistoryWriter } from './history-writer';

/** An error's message as the engine keeps it: enough to read, not a log file. */
export const MESSAGE_CAP = 2_000;
/** An error's stack as the engine keeps it. */
export const STACK_CAP = 8_000;

/**
 * One routine's runs, teed to the engine's run history: each run is passed on to the routine's
 * own recorder (its ring) as before, then made a plain record and handed to the writer, which
 * sends it later in a batch. Nothing here waits for the engine.
 */
export class EngineRunRecorder implements RunRecorder {
  /** The last run handed over, for `restartScheduled` (it is still in the writer's buffer). */
  private last: StoredRun | undefined = undefined;

  constructor(
    private readonly routine: string,
    private readonly writer: HistoryWriter,
    private readonly clock: Clock,
    private readonly inner: RunRecorder | undefined,
    /** Cluster periodic routines: a run's due time is its slot. */
    private readonly slots: boolean,
  ) {}

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
    this.inner?.ran(id, status, due, dueOnWall, startedAt, finishedAt, error, epoch, backfill);
    const dueAt = dueOnWall ? due : this.clock.wallOf(due);
    const at = this.clock.wallOf(startedAt);
    const run: StoredRun = {
      routine: this.routine,
      replica: this.writer.replica,
      at,
      id,
      status,
      dueAt,
      startedAt: at,
      durationMs: finishedAt - startedAt,
    };
    if (status !== 'succeeded' && error !== undefined) run.error = keptError(error);
    if (this.slots) run.slot = dueAt;
    if (epoch !== undefined) run.epoch = epoch;
    if (backfill) run.backfill = true;
    this.hand(run);
  }

  skipped(due: number, dueOnWall: boolean, reason: SkipReason, at: number): void {
    this.inner?.skipped(due, dueOnWall, reason, at);
    // A slot another replica claimed is that replica's run, which it records: every other
    // replica's skip of it would add N - 1 records per slot to the cluster's history.
    if (reason === 'claimed') return;
    const dueAt = dueOnWall ? due : this.clock.wallOf(due);
    const { routine } = this;
    this.hand({
      routine,
      replica: this.writer.replica,
      at: this.clock.wallOf(at),
      status: 'skipped',
      reason,
      dueAt,
    });
  }

  restartScheduled(delayMs: number): void {
    this.inner?.restartScheduled(delayMs);
    // Sent already if a flush came between: then the engine's record goes without it.
    if (this.last !== undefined) this.last.restartDelayMs = delayMs;
  }

  private hand(run: StoredRun): void {
    this.last = run;
    this.writer.push(run);
  }
}

/** `{ name, message, stack? }`, capped: a handler's error may carry a megabyte of text. */
export function keptError(error: unknown): { name: string; message: string; stack?: string } {
  const { name, message } = summarizeError(error);
  const kept: { name: string; message: string; stack?: string } = {
    name: name.slice(0, 200),
    message: capped(message, MESSAGE_CAP),
  };
  const stack = isError(error) ? describeError(error).stack : undefined;
  if (typeof stack === 'string') kept.stack = capped(stack, STACK_CAP);
  return kept;
}

function capped(text: string, cap: number): string {
  return text.length <= cap ? text : `${text.slice(0, cap - 1)}…`;
}
