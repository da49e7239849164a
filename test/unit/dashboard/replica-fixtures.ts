import type { RegisteredRoutineInfo } from '../../../lib/nest/interfaces/registered-routine.interface';
import type { ReplicaRoutine, ReplicaSnapshot } from '../../../lib/dashboard/replica-snapshot';

/** 2026-01-01 12:00 UTC. */
export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

const ZERO = { runs: 0, succeeded: 0, failures: 0, cancelled: 0, skipped: 0, restarts: 0 };
const HEALTHY = { late: false, slow: false, consecutiveFailures: 0 };

/** A routine as a replica publishes it: a running instance interval routine unless told. */
export function replicaRoutine(name: string, fields: Partial<ReplicaRoutine> = {}): ReplicaRoutine {
  return {
    name,
    kind: 'periodic',
    scope: 'instance',
    state: 'running',
    schedule: 'every 1m',
    inFlight: 0,
    counters: { ...ZERO },
    health: { ...HEALTHY },
    ...fields,
  };
}

/** A routine as this replica's registry lists it. */
export function localRoutine(
  name: string,
  fields: Partial<RegisteredRoutineInfo> = {},
): RegisteredRoutineInfo {
  return {
    ...replicaRoutine(name),
    intervalMs: 60_000,
    enabled: true,
    source: 'Jobs.run',
    removable: false,
    ...fields,
  } as RegisteredRoutineInfo;
}

/** A replica's snapshot, published at `publishedAt` every 5 s. */
export function snapshot(
  host: string,
  pid: number,
  routines: ReplicaRoutine[],
  fields: Partial<ReplicaSnapshot> = {},
): ReplicaSnapshot {
  return {
    id: `${host}:${pid}:${T0}`,
    host,
    pid,
    startedAt: T0,
    publishedAt: T0,
    publishEvery: 5_000,
    routines,
    ...fields,
  };
}
