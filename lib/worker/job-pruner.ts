import type { SlotClaims } from '../cluster/ports/slot-claims';
import type { Clock, TimerHandle } from '../core/clock';
import { describeError } from '../core/logger';
import type { ResolvedRetention } from './job-retention';
import type { PostgresWorkerTable } from './postgres-worker-table';
import { MESSAGES } from './worker.messages';

/** How often ended rows are pruned: retention is counted in days, a round costs little. */
export const PRUNE_EVERY_MS = 10 * 60 * 1000;
/** Rows a prune statement deletes at most: its locks last one short statement. */
export const PRUNE_BATCH = 1000;
/** Batches a round runs at most; a backlog larger than that is pruned over the next rounds. */
export const PRUNE_MAX_BATCHES = 100;

/** What the pruner logs. */
interface PrunerLogger {
  log(message: string): void;
  warn(message: string): void;
}

/**
 * Deletes a plain queue's ended rows past their retention, in batches of {@link PRUNE_BATCH},
 * every {@link PRUNE_EVERY_MS}. Once per round across replicas: each round is a slot claimed
 * on the coordinator under a reserved name, not a routine (`registry.list()` does not show
 * it); a replica that loses the claim skips the round. A failed round is logged and the next
 * one tries again.
 */
export class JobPruner {
  private timer: TimerHandle | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly worker: string,
    private readonly table: Pick<PostgresWorkerTable, 'pruneBatch'>,
    private readonly retention: ResolvedRetention,
    private readonly clock: Clock,
    private readonly claims: SlotClaims | undefined,
    private readonly logger: PrunerLogger,
    private readonly options: { everyMs?: number; batch?: number; maxBatches?: number } = {},
  ) {}

  /** The name the rounds are claimed under: reserved, no routine may take it (`:` then `#`). */
  get claimName(): string {
    return `${this.worker}:#prune-jobs`;
  }

  /** Prunes every round until `stop()`; the first round one round after the start. */
  start(): void {
    this.schedule();
  }

  /** No more rounds; resolves once a round in flight ended. */
  async stop(): Promise<void> {
    if (this.timer) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /**
   * One round, if this replica claims it: batches until one deletes fewer than a batch, at
   * most {@link PRUNE_MAX_BATCHES}. Answers the rows deleted (0 when another replica has the
   * round).
   */
  async pruneOnce(): Promise<number> {
    const everyMs = this.options.everyMs ?? PRUNE_EVERY_MS;
    const slot = Math.floor(this.clock.wallNow() / everyMs);
    if (this.claims && !(await this.claims.claimSlot(this.claimName, slot, everyMs))) return 0;
    const batch = this.options.batch ?? PRUNE_BATCH;
    let deleted = 0;
    for (let round = 0; round < (this.options.maxBatches ?? PRUNE_MAX_BATCHES); round++) {
      const count = await this.table.pruneBatch(this.retention, batch);
      deleted += count;
      if (count < batch) break;
    }
    if (deleted > 0) this.logger.log(MESSAGES.pruned(this.worker, deleted));
    return deleted;
  }

  private schedule(): void {
    const everyMs = this.options.everyMs ?? PRUNE_EVERY_MS;
    this.timer = this.clock.setTimer(this.clock.now() + everyMs, () => {
      this.running = this.pruneOnce().catch((error: unknown) => {
        this.logger.warn(MESSAGES.pruneFailed(this.worker, describeError(error).message));
        return 0;
      });
      void this.running.then(() => {
        if (this.timer) this.schedule();
      });
    });
  }
}
