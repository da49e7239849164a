import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Periodic, type RunContext } from 'nestjs-routines';

/**
 * A cluster-scoped periodic routine: with two replicas on one Redis or PostgreSQL, each
 * 10-second slot runs on exactly one of them, and never beside the run of the slot before on
 * another replica (`overlap: 'skip'` holds across replicas). Its catch-up window sends, at
 * start or after a stall or a pause, the reports of the last three slots missed in the last
 * minute, in order, each once across replicas; older ones are counted `missed`
 * (`GET /routines/report-mailer` shows `catchup`). `ctx.slot` is the slot this replica won:
 * the key that makes "the report for this slot" idempotent; `ctx.previous` is the last report
 * sent, on whichever replica sent it. The run holds a run marker while it lasts:
 * `ctx.holdsLease()` says whether it is certainly still this run's (false on waking from a
 * pause past it, when another replica may be running the next slot) and `ctx.epoch` is the
 * marker's fencing epoch, for the app's own writes.
 */
@Injectable()
export class ReportMailer {
  private readonly logger = new Logger(ReportMailer.name);

  @Periodic('10s', {
    name: 'report-mailer',
    scope: 'cluster',
    catchup: { window: '1m', max: 3 },
    description: 'mails the usage report once per slot across replicas',
  })
  async mail(signal: AbortSignal, ctx: RunContext): Promise<{ slot: number; pid: number }> {
    const slot = new Date(ctx.slot!).toISOString();
    await sleep(200, undefined, { signal }); // "sending"; rejects at once if shutdown aborts the run
    // Before the write only this run may make: a process frozen past its marker learns it here.
    if (!ctx.holdsLease()) throw new Error(`lost the run marker of slot ${slot}; not recorded`);
    const before = ctx.previous?.value as { slot: number; pid: number } | undefined;
    const after = before
      ? `; the last one was ${new Date(before.slot).toISOString()} (pid ${before.pid})`
      : '';
    this.logger.log(
      `report for slot ${slot} (run #${ctx.runId}, epoch ${ctx.epoch}) sent by pid ${process.pid}${after}`,
    );
    return { slot: ctx.slot!, pid: process.pid };
  }
}
