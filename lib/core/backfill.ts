import type { Clock } from './clock';
import { MESSAGES } from './core.messages';
import { withDeadline } from './deadline';
import { reportError, type RoutineLogger } from './logger';
import type { PeriodicRun } from './periodic-run';
import type { SlotClaims as SlotClaimsPort } from '../cluster/ports';
import type { OverlapPolicy, RunOutcome } from './routine';
import type { Schedule } from './schedule';

/** Most due times one `backfill()` runs: a longer range is refused, to be split. */
export const MAX_BACKFILL = 1000;
/** A backfill's claim of a past slot is kept this long, so replicas backfilling together agree. */
const BACKFILL_CLAIM_TTL_MS = 24 * 3600_000;
const BACKFILL_CLAIM_DEADLINE_MS = 5000;

/** Options of {@link PeriodicRoutine.backfill}. */
export interface BackfillOptions {
  /** The range's start and end (wall clock), both included: a Date or epoch milliseconds. */
  from: Date | number;
  to: Date | number;
  /** What a backfill run does while another is in flight. Default: 'buffer-one' (waits for it). */
  overlap?: OverlapPolicy;
  /** Stops the backfill: its run in flight is aborted and the rest are not run. */
  signal?: AbortSignal;
  /** Told how many due times the range has, once it is checked and before the first runs. */
  planned?: (dueTimes: number) => void;
}

/** What {@link PeriodicRoutine.backfill} did. */
export interface BackfillReport {
  /** Due times in the range. */
  dueTimes: number;
  succeeded: number;
  failed: number;
  /** Not run, or aborted, because the signal aborted or the routine stopped. */
  cancelled: number;
  /** Skipped by the overlap policy. */
  skipped: number;
  /** Cluster scope: due times another replica claimed (and ran). */
  claimedElsewhere: number;
  /**
   * Cluster scope: due times not run because their claim failed (the engine unreachable or
   * past the call's deadline; logged): not run here, and maybe not anywhere. Backfill again.
   */
  claimFailed: number;
  /** The outcome of each run, oldest due time first. */
  outcomes: RunOutcome[];
}

/** What a backfill needs from its routine. */
export interface BackfillHost {
  readonly name: string;
  readonly clock: Clock;
  readonly logger: RoutineLogger;
  readonly timetable: Schedule;
  /** Cluster scope: where each due time is claimed as its slot first. */
  readonly slotClaims: SlotClaimsPort | undefined;
  isStopping(): boolean;
  runsInFlight(): PeriodicRun[];
  /** Runs once for `due`, now, as a trigger does, marked as a backfill's run. */
  runNow(due: number, policy: OverlapPolicy, backfill: boolean): Promise<RunOutcome>;
}

/** Runs the due times of a past range, oldest first, one after another (see `PeriodicRoutine.backfill`). */
export async function backfill(
  host: BackfillHost,
  options: BackfillOptions,
): Promise<BackfillReport> {
  const dues = backfillDueTimes(host, options);
  options.planned?.(dues.length);
  const report: BackfillReport = {
    dueTimes: dues.length,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    skipped: 0,
    claimedElsewhere: 0,
    claimFailed: 0,
    outcomes: [],
  };
  const policy = options.overlap ?? 'buffer-one';
  const signal = options.signal;
  const abortBackfillRuns = (): void => {
    for (const run of host.runsInFlight()) if (run.backfill) run.cancel(signal!.reason);
  };
  signal?.addEventListener('abort', abortBackfillRuns, { once: true });
  try {
    for (const wall of dues) await backfillOne(host, wall, policy, signal, report);
  } finally {
    signal?.removeEventListener('abort', abortBackfillRuns);
  }
  return report;
}

/** One due time of the range: claimed (cluster scope), run, and counted in the report. */
async function backfillOne(
  host: BackfillHost,
  wall: number,
  policy: OverlapPolicy,
  signal: AbortSignal | undefined,
  report: BackfillReport,
): Promise<void> {
  if (signal?.aborted || host.isStopping()) {
    report.cancelled++;
    return;
  }
  const claim = host.slotClaims ? await claimForBackfill(host, host.slotClaims, wall) : 'won';
  if (claim !== 'won') {
    if (claim === 'lost') report.claimedElsewhere++;
    else report.claimFailed++;
    return;
  }
  const clock = host.clock;
  const due = host.timetable.onWallClock ? wall : clock.now() - (clock.wallNow() - wall);
  const outcome = await host.runNow(due, policy, true);
  report.outcomes.push(outcome);
  if (outcome.status === 'succeeded') report.succeeded++;
  else if (outcome.status === 'failed') report.failed++;
  else if (outcome.status === 'cancelled') report.cancelled++;
  else report.skipped++;
}

/** The range's due times as wall times, checked. */
function backfillDueTimes(host: BackfillHost, options: BackfillOptions): number[] {
  const fail = (message: string): never => {
    throw new RangeError(MESSAGES.backfillRefused(host.name, message));
  };
  const from = timeOf(options?.from);
  const to = timeOf(options?.to);
  if (from === undefined) fail(MESSAGES.backfillBadTime('from', options?.from));
  if (to === undefined) fail(MESSAGES.backfillBadTime('to', options?.to));
  if (to! < from!) fail(MESSAGES.backfillReversed);
  if (to! > host.clock.wallNow()) fail(MESSAGES.backfillInFuture);
  const schedule = host.timetable;
  if (schedule.readsAfterRun) fail(MESSAGES.backfillIntervalFunction);
  const dues: number[] = [];
  let due = schedule.onWallClock ? schedule.first(from! - 1, false, undefined) : from!;
  const step = schedule.intervalMs;
  for (; due <= to!; due = schedule.onWallClock ? schedule.following(due) : due + step!) {
    if (dues.length === MAX_BACKFILL) fail(MESSAGES.backfillTooLong(MAX_BACKFILL));
    dues.push(due);
  }
  return dues;
}

/**
 * Cluster scope: claims a backfill due time as its slot, for a day (replicas backfilling
 * together). A backfill's claim is not refused for a time before the engine's memory.
 */
async function claimForBackfill(
  host: BackfillHost,
  claims: SlotClaimsPort,
  wall: number,
): Promise<'won' | 'lost' | 'failed'> {
  const slot = new Date(wall).toISOString();
  try {
    const won = await withDeadline(
      host.clock,
      BACKFILL_CLAIM_DEADLINE_MS,
      `backfill claim of slot ${slot}`,
      () => claims.claimSlot(host.name, wall, BACKFILL_CLAIM_TTL_MS, undefined, { backfill: true }),
    );
    return won ? 'won' : 'lost';
  } catch (error) {
    reportError(host.logger, MESSAGES.backfillClaimFailed(slot), error);
    return 'failed'; // fail closed: not run here (another replica may run it)
  }
}

function timeOf(value: unknown): number | undefined {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}
