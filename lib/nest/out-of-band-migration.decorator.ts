import { SetMetadata, type Type } from '@nestjs/common';
import type { Duration } from '../core';
import { OUT_OF_BAND_MIGRATION_METADATA } from './constants';

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

const declaredMigrations = new Map<Type<unknown>, OutOfBandMigrationOptions>();

/**
 * A long data migration run in small batches in the background while the app serves traffic
 * (Sourcegraph's out-of-band migrations). Each migration has a cluster background routine of its
 * own, `out-of-band-migrations:<id>`, with its own lease: one of the replicas that declare it
 * calls `up` (or `down` in reverse) once per `interval` until `progress` says it is complete,
 * storing progress, direction and errors through the coordinator's engine. Batches must be
 * idempotent: a runner may die in the middle of one.
 *
 * @example
 * @OutOfBandMigration({ id: 'backfill-upload-size', description: 'fill uploads.size_bytes', interval: '1s' })
 * @Injectable()
 * export class BackfillUploadSize implements Migrator {
 *   async progress() { ... }         // 0..1, measured forward
 *   async up(signal: AbortSignal) { ... }   // one batch
 *   async down(signal: AbortSignal) { ... } // one batch backwards
 * }
 */
export function OutOfBandMigration(options: OutOfBandMigrationOptions): ClassDecorator {
  const setMetadata = SetMetadata(OUT_OF_BAND_MIGRATION_METADATA, options);
  return (target) => {
    declaredMigrations.set(target as unknown as Type<unknown>, { ...options });
    setMetadata(target);
  };
}

/** @internal The `@OutOfBandMigration` options of a class, if it has them. */
export function migrationOptionsOf(type: Type<unknown>): OutOfBandMigrationOptions | undefined {
  return declaredMigrations.get(type);
}
