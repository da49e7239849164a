import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Periodic } from 'nestjs-routines';

/**
 * A cluster-scoped periodic routine: with two replicas on one Redis or PostgreSQL, each
 * 10-second slot runs on exactly one of them. `missed: 'once'` sends the last report on start
 * if every replica was down when it fell due.
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
  async mail(signal: AbortSignal): Promise<void> {
    const slot = new Date(Math.floor(Date.now() / 10_000) * 10_000).toISOString();
    await sleep(200, undefined, { signal }); // "sending"; rejects at once if shutdown aborts the run
    this.logger.log(`report for slot ${slot} sent by pid ${process.pid}`);
  }
}
