import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Periodic, type RunContext } from 'nestjs-routines';

/**
 * `overlap: 'buffer-one'`: a build sometimes takes longer than the interval. A tick that falls
 * during a build does not start a second one beside it, and is not lost either: one more build
 * starts the instant the slow one ends (its `dueAt` says when it was due); further ticks
 * meanwhile are skipped and counted. `GET /routines/sitemap-builder/describe` shows it.
 */
@Injectable()
export class SitemapBuilder {
  private readonly logger = new Logger(SitemapBuilder.name);
  private builds = 0;

  @Periodic('20s', {
    name: 'sitemap-builder',
    description: 'rebuilds the sitemap; a build that runs late is followed by exactly one more',
    overlap: 'buffer-one',
  })
  async build(signal: AbortSignal, ctx: RunContext): Promise<void> {
    // Every fourth build is slow (a big catalogue import landed): 30 s, past the next tick.
    const slow = ++this.builds % 4 === 0;
    await sleep(slow ? 30_000 : 200, undefined, { signal });
    const late = Date.now() - ctx.dueAt;
    this.logger.log(`sitemap built${slow ? ' (slowly)' : ''}, ${late} ms after it was due`);
  }
}
