import type { Logger } from '@nestjs/common';
import { MESSAGES } from './nest.messages';

/**
 * Warns when nothing listens for SIGTERM: without `app.enableShutdownHooks()` (which listens
 * from the moment it is called) the process exits on SIGTERM without stopping routines.
 * Checked one turn after bootstrap, so that hooks enabled right after `init()` or `listen()`
 * count; not when the app began closing meanwhile. Any SIGTERM listener counts: the app may
 * stop itself from its own.
 */
export function checkShutdownHooksSoon(logger: Logger, closing: () => boolean): void {
  setImmediate(() => {
    if (!closing() && process.listenerCount('SIGTERM') === 0) {
      logger.warn(MESSAGES.noShutdownHooks);
    }
  });
}
