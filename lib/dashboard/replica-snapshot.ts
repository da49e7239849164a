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
  routines: ReplicaRoutine[];
}

export function replicaRoutine(info: RegisteredRoutineInfo): ReplicaRoutine {
  const routine: ReplicaRoutine = {
    name: info.name,
    kind: info.kind,
    scope: info.scope,
    state: info.state,
    description: info.description,
    schedule: info.schedule,
    inFlight: info.inFlight,
    nextRunAt: info.nextRunAt,
    counters: info.counters,
    lastError: info.lastError,
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

/** A snapshot read back from the directory, or undefined when it is not one (another version's, corrupt). */
export function parseSnapshot(text: string): ReplicaSnapshot | undefined {
  try {
    const value = JSON.parse(text) as Partial<ReplicaSnapshot>;
    if (typeof value?.id !== 'string' || !Array.isArray(value.routines)) return undefined;
    return value as ReplicaSnapshot;
  } catch {
    return undefined;
  }
}
