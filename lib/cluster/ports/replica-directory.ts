/**
 * Who is alive: what every replica publishes and reads so that one page shows them all.
 * Snapshots are opaque strings (JSON written by the dashboard); expiry runs on the engine's
 * clock.
 *
 * - `publish` writes one replica's snapshot, live for `ttlMs` after the engine received it;
 *   `withdraw` removes it at once (a clean shutdown); `list` gives the live ones.
 * - `listExpiring` (optional) gives them with the time each has left, on the engine's clock:
 *   a reader that knows the ttl tells how long ago a replica published without trusting
 *   either host's wall clock (the page shows a silent replica as lost by it).
 */
export interface ReplicaDirectory {
  publish(id: string, snapshot: string, ttlMs: number): Promise<void>;
  withdraw(id: string): Promise<void>;
  list(): Promise<string[]>;
  listExpiring?(): Promise<Array<{ snapshot: string; expiresInMs: number }>>;
}
