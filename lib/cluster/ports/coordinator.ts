import type { AuditTrail } from './audit-trail';
import type { Leases } from './leases';
import type { MigrationStateStore } from './migration-state-store';
import type { ReplicaDirectory } from './replica-directory';
import type { RunHistoryStore } from './run-history-store';
import type { RunMarkers } from './run-markers';
import type { SlotClaims } from './slot-claims';
import type { StoredControls } from './stored-controls';

/**
 * How replicas agree on who runs what: the ports an engine implements, put together. Every
 * engine has {@link SlotClaims} and {@link Leases}; the other ports are optional, and a
 * feature that needs one asks for it (and does without, on this replica only, when it is
 * missing). Implementations must make each call one atomic operation on the engine's own
 * clock, so that replicas with skewed clocks still agree.
 *
 * - `claimSlot`: the first caller for a (routine, slot) pair wins, every later one loses,
 *   for at least `ttlMs`. One run per slot, whichever replicas are up. The claim keeps the
 *   caller's `token` (one of its own when none is given).
 * - `releaseSlot`: hands back a slot won but not run (shutdown began, or the claim came
 *   back too late), so that another replica may claim it. With a token, only a claim made
 *   with that token is deleted: a release that comes after the claim expired and another
 *   replica claimed the slot leaves that replica's claim alone. (Without one, as callers
 *   from before tokens, the claim is deleted whoever made it.)
 * - `acquireLease` / `renewLease` / `releaseLease`: one holder at a time per routine, for
 *   `ttlMs` after its last successful acquire or renew. Every acquire issues an epoch above
 *   every epoch issued before for that routine, whatever the engine lost in between.
 * - `completeLease`: the holder's routine finished; records it under a version, releases the
 *   lease, and makes later `acquireLease` calls with that version answer `completed`.
 *   `resetCompletion` forgets it.
 *
 * Any method may reject when the engine is unreachable; the runtime then fails closed. The
 * runtime gives every call a deadline of its own and treats a call that misses it as failed.
 */
export interface Coordinator extends SlotClaims, Leases {
  /** Short name for logs: 'memory', 'redis', 'postgres'. */
  readonly kind: string;
  /**
   * Optional: who is alive, for the dashboard (see {@link ReplicaDirectory}). A coordinator
   * without it still coordinates; the dashboard then shows this replica only.
   */
  readonly replicas?: ReplicaDirectory;
  /**
   * Optional: the controls an operator set on routines (see {@link StoredControls}). Without
   * them, the dashboard pauses cluster routines on this replica only.
   */
  readonly controls?: StoredControls;
  /**
   * Optional: where out-of-band migrations keep their progress, direction and errors (see
   * {@link MigrationStateStore}). Without it, migrations keep their state in this process.
   */
  readonly migrations?: MigrationStateStore;
  /**
   * Optional: run markers, so that a cluster periodic routine's `overlap` holds across
   * replicas (see {@link RunMarkers}). Without them, overlap holds on each replica only.
   */
  readonly runs?: RunMarkers;
  /**
   * Optional: run history kept for every replica, raw runs and hourly and daily stats (see
   * {@link RunHistoryStore}). Without it, `registry.history()` reads this replica's ring only.
   */
  readonly history?: RunHistoryStore;
  /**
   * Optional: the dashboard's audit trail, who did what from any replica (see
   * {@link AuditTrail}). Without it, each replica keeps the actions done on it, in memory.
   */
  readonly audit?: AuditTrail;
}
