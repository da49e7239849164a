import type {
  ClusterStatus,
  RoutineCounters,
  RoutineKind,
  RoutineScope,
  RoutineState,
} from '../core';
import type { RoutineHealth } from '../observability';
import type { RegisteredRoutineInfo } from '../nest/interfaces/registered-routine.interface';
import type { ReplicaIdentity } from '../controls';

/** One routine as a replica publishes it: its state and counters there, no history. */
export interface ReplicaRoutine {
  name: string;
  kind: RoutineKind;
  scope: RoutineScope;
  state: RoutineState;
  description?: string;
  schedule?: string;
  inFlight: number;
  nextRunAt?: number;
  counters: RoutineCounters;
  lastRun?: {
    status: string;
    reason?: string;
    dueAt: number;
    startedAt?: number;
    durationMs?: number;
  };
  lastError?: { at: number; message: string };
  cluster?: ClusterStatus;
  health: RoutineHealth;
}

/** What a replica publishes every few seconds. */
export interface ReplicaSnapshot extends ReplicaIdentity {
  /** When it was taken (wall-clock ms, the replica's own clock). */
  publishedAt: number;
  /**
   * How often this replica publishes (ms): a reader judges it lost after twice this, the
   * writer's period rather than its own (replicas may be configured differently).
   */
  publishEvery: number;
  /**
   * How long the directory keeps it (ms; `replicas.forgetAfter`): with the time the engine says
   * it has left, a reader knows its age on the engine's clock, whatever the hosts' clocks say.
   * Absent from a replica of the previous version.
   */
  forgetAfter?: number;
  routines: ReplicaRoutine[];
}

/**
 * The longest text a snapshot carries (an error message, a description): another replica's
 * 5 KB stack-laden message would otherwise be published every few seconds and shown whole.
 */
export const MAX_TEXT = 500;

/** `text`, cut to {@link MAX_TEXT} characters with an ellipsis when longer. */
export function capText(text: string, max = MAX_TEXT): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function replicaRoutine(info: RegisteredRoutineInfo): ReplicaRoutine {
  const routine: ReplicaRoutine = {
    name: info.name,
    kind: info.kind,
    scope: info.scope,
    state: info.state,
    description: info.description === undefined ? undefined : capText(info.description),
    schedule: info.schedule,
    inFlight: info.inFlight,
    nextRunAt: info.nextRunAt,
    counters: info.counters,
    lastError: info.lastError && {
      at: info.lastError.at,
      message: capText(info.lastError.message),
    },
    cluster: info.cluster,
    health: info.health,
  };
  const last = info.lastRun;
  if (last) {
    routine.lastRun = {
      status: last.status,
      reason: last.reason,
      dueAt: last.dueAt,
      startedAt: last.startedAt,
      durationMs: last.durationMs,
    };
  }
  return routine;
}

/**
 * The snapshot as published: JSON without what a reader restores by default (zero counters,
 * `inFlight: 0`, health flags that are false, claim counts of 0). At 1,000 routines that is
 * about half the text (see the size test). `state`, `kind`, `scope` and the `health` and
 * `counters` objects stay, so that a replica of the previous version, which reads them without
 * defaults, still shows this one during a rolling upgrade.
 */
export function snapshotText(snapshot: ReplicaSnapshot): string {
  return JSON.stringify({ ...snapshot, routines: snapshot.routines.map(compactRoutine) });
}

function compactRoutine(routine: ReplicaRoutine): Record<string, unknown> {
  const { inFlight, counters, health, cluster, ...rest } = routine;
  const compact: Record<string, unknown> = { ...rest, counters: withoutZeros(counters) };
  if (inFlight !== 0) compact.inFlight = inFlight;
  compact.health = compactHealth(health);
  if (cluster) {
    const { claims, ...status } = cluster;
    const counted = claims && withoutZeros(claims);
    compact.cluster =
      counted && Object.keys(counted).length > 0 ? { ...status, claims: counted } : status;
  }
  return compact;
}

/** `consecutiveFailures` always (a reader of the previous version needs it), the flags when true. */
function compactHealth(health: RoutineHealth): Partial<RoutineHealth> {
  const compact: Partial<RoutineHealth> = { consecutiveFailures: health.consecutiveFailures };
  if (health.late) compact.late = true;
  if (health.slow) compact.slow = true;
  return compact;
}

function withoutZeros<T extends object>(counts: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(counts).filter(([, count]) => count !== 0),
  ) as Partial<T>;
}
