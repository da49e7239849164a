import type { Duration } from '../../core';

/** Options of {@link OutOfBandMigration}. */
export interface OutOfBandMigrationOptions {
  /** Unique and stable: its progress and direction are stored under it, across versions. */
  id: string;
  /** What it does, for operators. */
  description: string;
  /** The pace: one batch per interval. Default: '1s'. */
  interval?: Duration;
  /** A batch or a progress measure running longer is aborted and counted as an error. Default: none. */
  timeout?: Duration;
  /** It destroys nothing, so it may leave `down` out (and cannot be reversed then). Default: false. */
  nonDestructive?: boolean;
}
