import { MESSAGES } from '../core/core.messages';
import type { Clock } from '../core/clock';
import { formatDuration } from '../core/duration';
import { describeError, type RoutineLogger } from '../core/logger';

interface Outage {
  since: number;
  failures: number;
}

/**
 * What an outage is kept for: a coordinator, or any other engine connection that holds work
 * (a worker's store). `kind` names it in the log lines.
 */
export interface OutageSource {
  readonly kind: string;
}

/** Open outages, per engine: shared by every holder on it, so an outage logs once. */
const outages = new WeakMap<OutageSource, Outage>();

/** The losses already told, per engine, by the time the engine noticed each. */
const toldLosses = new WeakMap<OutageSource, Set<number>>();

/** The engines whose emptiness (new, or emptied) was told: once per engine per process. */
const toldEmpty = new WeakSet<OutageSource>();

/**
 * A refusal the engine answered because it lost its state (or holds none: new, or emptied):
 * an error that says since when, and for an engine that holds no state, the one line to say
 * (the coordinators' `CoordinatorStateLostError`). Read guarded: any thrown value.
 */
function heldBack(error: unknown): { since: number; notice?: string } | undefined {
  try {
    if (typeof error !== 'object' || error === null) return undefined;
    const { name, since, notice } = error as { name?: unknown; since?: unknown; notice?: unknown };
    if (name !== 'CoordinatorStateLostError' || typeof since !== 'number') return undefined;
    return typeof notice === 'string' ? { since, notice } : { since };
  } catch {
    return undefined;
  }
}

/**
 * Records a failed (or timed-out) call to the coordinator. The first failure of an outage is
 * logged as a warning; the ones after it are only counted, so that a database that is down
 * gives one line, not one per tick per routine.
 */
export function reportCoordinatorFailure(
  coordinator: OutageSource,
  clock: Clock,
  logger: RoutineLogger,
  what: string,
  error: unknown,
): void {
  const refusal = heldBack(error);
  if (refusal?.notice !== undefined) {
    // The engine holds no state at all (new, or emptied): not a loss it can name, and the same
    // for every routine. One line, at info level, once per engine for the process.
    if (toldEmpty.has(coordinator)) return;
    toldEmpty.add(coordinator);
    logger.log(refusal.notice);
    return;
  }
  if (refusal !== undefined) {
    const { since } = refusal;
    // The engine answered: it holds claims or leases back since it lost its state or is new (a
    // new database). Not an outage, which any other call's success would close and the next
    // refusal reopen (one warning every retry): said once per loss, whatever else answers.
    const said = toldLosses.get(coordinator) ?? new Set<number>();
    toldLosses.set(coordinator, said);
    if (said.has(since)) return;
    if (said.size >= 100) said.clear();
    said.add(since);
    logger.warn(MESSAGES.heldBack(coordinator.kind, what, describeError(error).message));
    return;
  }
  const outage = outages.get(coordinator);
  if (outage) {
    outage.failures++;
    return;
  }
  outages.set(coordinator, { since: clock.now(), failures: 1 });
  logger.warn(MESSAGES.outageBegan(coordinator.kind, what, describeError(error).message));
}

/** Records a call that answered: closes the coordinator's outage, if one was open. */
export function reportCoordinatorSuccess(
  coordinator: OutageSource,
  clock: Clock,
  logger: RoutineLogger,
): void {
  const outage = outages.get(coordinator);
  if (outage === undefined) return;
  outages.delete(coordinator);
  const over = formatDuration(Math.max(0, clock.now() - outage.since));
  logger.log(MESSAGES.outageEnded(coordinator.kind, outage.failures, over));
}
