import type { StoredMigration, StoredMigrationError } from '../cluster/ports/migration-state-store';
import { isComplete } from './migration-runner';
import type { MigrationDirection } from './migrator';

/** A migration as `registry.migrations.list()` shows it; plain data, JSON-safe. */
export interface MigrationInfo {
  id: string;
  description: string;
  /** 0..1, measured forward. */
  progress: number;
  direction: MigrationDirection;
  /** Nothing left to do in its direction (1 forward, 0 in reverse). */
  complete: boolean;
  nonDestructive: boolean;
  /** Whether this app declares it (a migration of an older version may only be stored). */
  declared: boolean;
  createdAt: number;
  /** When progress was last measured (wall-clock ms); absent before the first measure. */
  updatedAt?: number;
  /** Progress per minute over the recent measures: positive forward, negative in reverse. */
  ratePerMinute?: number;
  /** At the recent rate, how long until it is complete, in ms. */
  etaMs?: number;
  /** The newest errors first (at most the limit asked, 100 kept). */
  errors: StoredMigrationError[];
}

/** Rate and time to completion from the stored measures: from the oldest kept to the newest. */
export function describeMigration(
  stored: StoredMigration,
  errors: StoredMigrationError[],
  declared: boolean,
): MigrationInfo {
  const direction: MigrationDirection = stored.reverse ? 'reverse' : 'forward';
  const complete = isComplete(stored.progress, direction);
  const info: MigrationInfo = {
    id: stored.id,
    description: stored.description,
    progress: stored.progress,
    direction,
    complete,
    nonDestructive: stored.nonDestructive,
    declared,
    createdAt: stored.createdAt,
    errors,
  };
  if (stored.updatedAt !== undefined) info.updatedAt = stored.updatedAt;
  const rate = rateOf(stored.samples);
  if (rate !== undefined) {
    info.ratePerMinute = rate;
    const left = direction === 'forward' ? 1 - stored.progress : stored.progress;
    const towards = direction === 'forward' ? rate : -rate;
    if (!complete && towards > 0) info.etaMs = Math.round((left / towards) * 60_000);
  }
  return info;
}

function rateOf(samples: ReadonlyArray<readonly [number, number]>): number | undefined {
  if (samples.length < 2) return undefined;
  const [firstAt, first] = samples[0];
  const [lastAt, last] = samples[samples.length - 1];
  if (lastAt <= firstAt) return undefined;
  return ((last - first) / (lastAt - firstAt)) * 60_000;
}
