import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Periodic, type RunContext } from 'nestjs-routines';

/**
 * A cluster-scoped periodic routine: with two replicas on one Redis or PostgreSQL, each
 * 10-second slot runs on exactly one of them. `missed: 'once'` sends the last report on start
 * if every replica was down when it fell due. `ctx.slot` is the slot this replica won: the key
 * that makes "the report for this slot" idempotent.
 */
@Injectable()
export class ReportMailer {
  private readonly logger = new Logger(ReportMailer.name);

  @Periodic('10s', {
    name: 'report-mailer',
    scope: 'cluster',
    missed: 'once',
    description: 'mails the usage report once per slot across replicas',
  })
  async mail(signal: AbortSignal, ctx: RunContext): Promise<void> {
    const slot = new Date(ctx.slot!).toISOString();
    await sleep(200, undefined, { signal }); // "sending"; rejects at once if shutdown aborts the run
    this.logger.log(`report for slot ${slot} (run #${ctx.runId}) sent by pid ${process.pid}`);
  }
}
