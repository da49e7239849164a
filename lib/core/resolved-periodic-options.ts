import type { CatchUpPolicy } from './catch-up';
import type { MarkerTiming } from '../cluster/cluster-overlap';
import type { OverlapPolicy } from './routine';
import type { ParsedInterval } from './schedule';

/** A backoff option in milliseconds. */
export interface ResolvedBackoff {
  initialMs: number;
  maxMs: number;
  factor: number;
}

/** Periodic options parsed to milliseconds; what the routine keeps. */
export interface ResolvedPeriodicOptions {
  interval: ParsedInterval;
  timeoutMs: number | undefined;
  jitterMs: number;
  initialDelayMs: number | undefined;
  runOnStart: boolean;
  backoff: ResolvedBackoff | undefined;
  overlap: OverlapPolicy;
  maxBuffered: number;
  /** Wall-clock ms. */
  startAt: number | undefined;
  endAt: number | undefined;
  maxRuns: number | undefined;
  phaseMs: number;
  align: boolean;
  /** `catchup`, or `missed: 'once'`; undefined: none. */
  catchup: CatchUpPolicy | undefined;
  /** Cluster scope: the run marker's timing (from `lease`). */
  marker: MarkerTiming;
}
