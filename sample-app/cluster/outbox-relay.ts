import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackgroundRoutine, type RunContext } from 'nestjs-routines';

/**
 * A cluster-scoped background routine: one replica at a time holds the lease and relays;
 * the others stand by and take over when it stops or dies. The fencing epoch grows with
 * every new holder; a real relay would store it with each write so that the database can
 * refuse a stale holder's.
 */
@Injectable()
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);

  @BackgroundRoutine({ name: 'outbox-relay', scope: 'cluster', lease: { ttl: '6s' } })
  async relay(signal: AbortSignal, ctx: RunContext): Promise<void> {
    this.logger.log(`relaying on pid ${process.pid} with fencing epoch ${ctx.epoch}`);
    while (!signal.aborted) {
      const relayed = await sleep(5_000, true, { signal }).catch(() => false); // wakes at once on abort
      // Just before a write only the holder may make: after a long pause (a frozen VM), the
      // lease may be another replica's already, even though our signal has not aborted yet.
      if (!ctx.holdsLease()) return;
      if (relayed) this.logger.log(`relayed a batch (epoch ${ctx.epoch})`);
    }
  }
}
