import { hostname } from 'node:os';
import type { ReplicaIdentity } from '../controls/interfaces/replica-identity.interface';

/**
 * A replica's identity, unique per process start: `host:pid:start`. Made once by the module
 * when it builds its routines, so that the run history's `replica` and the dashboard's replica
 * ids name the same process.
 */
export function replicaIdentity(startedAt: number, version: string | undefined): ReplicaIdentity {
  const host = hostname();
  const identity: ReplicaIdentity = {
    id: `${host}:${process.pid}:${startedAt.toString(36)}`,
    host,
    pid: process.pid,
    startedAt,
  };
  if (version !== undefined) identity.version = version;
  return identity;
}
