// Type-only: an app that never constructs a RedisCoordinator never loads ioredis.
import type { Cluster, Redis } from 'ioredis';
import { ClaimBatcher, type PendingClaim } from '../cluster/claim-batcher';
import type { ClaimOptions, SlotClaims } from '../cluster/ports';
import { CLAIM_SLOTS_LUA } from './lua/claim-slots.lua';
import { RELEASE_LEASE_LUA } from './lua/release-lease.lua';
import type { RedisRoutineKeys } from './redis-routine-keys';
import type { RedisServerCheck } from './redis-server-check';

// Names of the scripts on the client (ioredis' defineCommand): namespaced to stay clear of the app's own.
const CLAIM_COMMAND = 'nestjsRoutinesClaimSlots4';
/** The lease's compare-and-delete script, which a release with a token uses as well. */
const RELEASE_COMMAND = 'nestjsRoutinesReleaseLease';
/** Claims sent in one script at most. */
const MAX_BATCH = 500;

type ScriptReply = Array<number | string>;

interface ScriptedClient {
  [CLAIM_COMMAND](numberOfKeys: number, ...args: Array<string | number>): Promise<ScriptReply>;
  [RELEASE_COMMAND](key: string, token: string): Promise<number>;
}

/**
 * Slot claims: checks the routine's marker key (see `RedisRoutineKeys`), then
 * `SET <prefix>{<routine>}:slot:<slot> <token> NX PX <ttl>`; `releaseSlot` deletes it if it
 * still holds the releaser's token. After a loss, slots due before it (plus the clock skew
 * allowed) are refused: they may have run before.
 */
export class RedisSlotClaims implements SlotClaims {
  private readonly scripted: ScriptedClient;
  private readonly batcher: ClaimBatcher;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly keys: RedisRoutineKeys,
    private readonly skewMs: number,
    private readonly server: RedisServerCheck,
  ) {
    client.defineCommand(CLAIM_COMMAND, { lua: CLAIM_SLOTS_LUA });
    client.defineCommand(RELEASE_COMMAND, { numberOfKeys: 1, lua: RELEASE_LEASE_LUA });
    this.scripted = client as unknown as ScriptedClient;
    // On a Cluster the routines of one batch live on different nodes: one script each.
    this.batcher = new ClaimBatcher(
      (client as Cluster).isCluster ? 1 : MAX_BATCH,
      (claims) => void this.sendClaims(claims),
    );
  }

  /**
   * On a standalone or Sentinel client, claims due at the same instant (routines on one grid
   * point) go in one script: one round trip for all of them.
   */
  claimSlot(
    routine: string,
    slot: number,
    ttlMs: number,
    token?: string,
    options?: ClaimOptions,
  ): Promise<boolean> {
    this.server.once();
    return this.batcher.claim(routine, slot, ttlMs, token, options?.backfill === true);
  }

  /** With a token, deletes the claim only if it is still that token's (the lease's script). */
  async releaseSlot(routine: string, slot: number, token?: string): Promise<void> {
    const key = this.keys.key(routine, `slot:${slot}`);
    if (token === undefined) await this.client.del(key);
    else await this.scripted[RELEASE_COMMAND](key, token);
  }

  private async sendClaims(claims: PendingClaim[]): Promise<void> {
    const engine = this.keys.engine;
    // The engine's mark first; on a Cluster, a key of the (only) claim's routine, unused.
    const keys: string[] = [engine ?? this.keys.key(claims[0].routine, 'alive')];
    const args: Array<string | number> = [this.skewMs, engine === undefined ? '0' : '1'];
    for (const claim of claims) {
      const { routine } = claim;
      keys.push(this.keys.key(routine, `slot:${claim.slot}`), this.keys.key(routine, 'alive'));
      args.push(
        claim.token,
        claim.ttlMs,
        claim.slot,
        this.keys.lastSeen(routine),
        claim.backfill ? '1' : '0',
      );
    }
    let reply: ScriptReply;
    try {
      reply = await this.scripted[CLAIM_COMMAND](keys.length, ...keys, ...args);
    } catch (error) {
      for (const claim of claims) claim.reject(error);
      return;
    }
    claims.forEach((claim, i) => {
      const [result, since, last, kind] = reply.slice(4 * i, 4 * i + 4);
      this.keys.saw(claim.routine, last);
      if (Number(result) === -1)
        claim.reject(this.keys.refused(claim.routine, Number(since), kind, 'slot', claim.slot));
      else claim.resolve(Number(result) === 1);
    });
  }
}
