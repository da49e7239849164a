import { SetMetadata } from '@nestjs/common';
import { OUT_OF_BAND_MIGRATION_METADATA } from '../constants';
import type { OutOfBandMigrationOptions } from '../interfaces/out-of-band-migration-options.interface';
import { recordMigration } from './declared-classes';

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
    recordMigration(target, { ...options });
    setMetadata(target);
  };
}
