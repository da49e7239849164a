/** Options of {@link SlotClaims.claimSlot}. */
export interface ClaimOptions {
  /**
   * A `backfill()` claim: an operator asked to run this past time. It is not refused for
   * falling before the engine's memory (its first use, or a loss): the claim still makes
   * replicas backfilling together run it once.
   */
  backfill?: boolean;
}

/**
 * Who runs each slot of a cluster periodic routine. Each call is one atomic operation on the
 * engine's own clock, so that replicas with skewed clocks still agree.
 *
 * - `claimSlot`: the first caller for a (routine, slot) pair wins, every later one loses,
 *   for at least `ttlMs`. One run per slot, whichever replicas are up. The claim keeps the
 *   caller's `token` (one of its own when none is given).
 * - `releaseSlot`: hands back a slot won but not run (shutdown began, or the claim came
 *   back too late), so that another replica may claim it. With a token, only a claim made
 *   with that token is deleted: a release that comes after the claim expired and another
 *   replica claimed the slot leaves that replica's claim alone. (Without one, as callers
 *   from before tokens, the claim is deleted whoever made it.)
 *
 * Any method may reject when the engine is unreachable; the runtime then fails closed.
 */
export interface SlotClaims {
  claimSlot(
    routine: string,
    slot: number,
    ttlMs: number,
    token?: string,
    options?: ClaimOptions,
  ): Promise<boolean>;
  releaseSlot?(routine: string, slot: number, token?: string): Promise<void>;
}
