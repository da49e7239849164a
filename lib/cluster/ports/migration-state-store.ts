/** One out-of-band migration as its store keeps it. Times are the engine's, in wall-clock ms. */
export interface StoredMigration {
  id: string;
  description: string;
  /** 0..1, measured forward: 1 is done, 0 is undone. */
  progress: number;
  /** Whether it is to be run backwards (`down`) until its progress is 0. */
  reverse: boolean;
  nonDestructive: boolean;
  createdAt: number;
  /** When progress was last stored; absent before the first measure. */
  updatedAt?: number;
  /** The fencing epoch of the runner that last stored progress (0: none yet). */
  epoch: number;
  /** The recent measures, oldest first, `[at, progress]`: at most 20 (`MIGRATION_SAMPLES`). */
  samples: Array<[number, number]>;
}

/** An error a migration's batch met, as kept (the last 100, `MIGRATION_ERRORS_KEPT`). */
export interface StoredMigrationError {
  message: string;
  /** Engine time, wall-clock ms. */
  at: number;
}

/** Progress measures kept per migration, for its rate and time to completion. */
export const MIGRATION_SAMPLES = 20;
/** Errors kept per migration, as Sourcegraph keeps. */
export const MIGRATION_ERRORS_KEPT = 100;

/**
 * Out-of-band migrations' shared state: what every replica reads, and what the one runner
 * writes. Each call is one atomic operation on the engine.
 *
 * - `register` adds a migration unknown so far (progress 0, forward) and keeps an existing
 *   one's progress and direction (its description is updated).
 * - `setProgress` stores a measure unless a runner with a higher epoch has stored one (a
 *   stale runner is refused: `false`), and appends it to `samples`.
 * - `addError` keeps the newest 100 (`MIGRATION_ERRORS_KEPT`); `errors` gives them newest first.
 * - `setDirection` is an operator's: kept until changed, whoever runs.
 */
export interface MigrationStateStore {
  register(id: string, description: string, nonDestructive: boolean): Promise<void>;
  list(): Promise<StoredMigration[]>;
  setProgress(id: string, progress: number, epoch: number): Promise<boolean>;
  addError(id: string, message: string): Promise<void>;
  errors(id: string, limit?: number): Promise<StoredMigrationError[]>;
  setDirection(id: string, reverse: boolean): Promise<void>;
}
