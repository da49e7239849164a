import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackgroundRoutine } from 'nestjs-routines';

/**
 * A one-shot delayed task, what `@Timeout` is used for in `@nestjs/schedule`: a background
 * routine that waits `initialDelay`, runs once and returns (state `completed`). A stop during
 * the wait cancels it; a failure is retried under the restart policy.
 */
@Injectable()
export class SearchIndexWarmup {
  private readonly logger = new Logger(SearchIndexWarmup.name);

  @BackgroundRoutine({
    name: 'search-index-warmup',
    description: 'loads the search index once the app has settled',
    initialDelay: '5s',
  })
  async warm(signal: AbortSignal): Promise<void> {
    await sleep(300, undefined, { signal }); // stands in for reading the index into memory
    this.logger.log('search index loaded');
  }
}
