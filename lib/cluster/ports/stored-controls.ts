/**
 * The controls an operator set on routines (a cluster-wide pause, an interval), kept by the
 * engine so that they hold on every replica. Values are opaque strings (JSON written by the
 * dashboard).
 *
 * - `set` stores the control of one routine (kept until overwritten: it outlives every
 *   replica, so a restarted one finds it); `all` reads them all.
 */
export interface StoredControls {
  set(routine: string, control: string): Promise<void>;
  all(): Promise<Map<string, string>>;
}
