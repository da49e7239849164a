/** Who a replica is: enough for an operator to find the process. */
export interface ReplicaIdentity {
  /** `host:pid:start`, unique per process start. */
  id: string;
  host: string;
  pid: number;
  /** When this process's dashboard started (wall-clock ms). */
  startedAt: number;
  /** The module option `version`, when set. */
  version?: string;
}
