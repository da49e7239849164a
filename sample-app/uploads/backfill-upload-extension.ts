import { Injectable } from '@nestjs/common';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { OutOfBandMigration, type MigrationContext, type Migrator } from 'nestjs-routines';
import { extensionOf, UploadsStore } from './uploads.store';

const BATCH = 100;

/**
 * Fills `extension` on the uploads that existed before the column did: a data migration too
 * slow for a deploy step on a real table, run 100 rows at a time in the background while the
 * app serves traffic, on one replica (the one holding this migration's lease), reversible.
 * Each batch is idempotent: it only touches rows still to do, so a runner that dies mid-batch
 * loses nothing.
 * `GET /migrations` shows its progress; `POST /migrations/backfill-upload-extension/reverse`
 * runs it backwards.
 */
@OutOfBandMigration({
  id: 'backfill-upload-extension',
  description: 'fills uploads.extension from the file name, 100 rows per batch',
  interval: process.env.MIGRATION_INTERVAL ?? '500ms',
})
@Injectable()
export class BackfillUploadExtension implements Migrator {
  constructor(private readonly uploads: UploadsStore) {}

  progress(): number {
    const { matching, all } = this.uploads.count((upload) => upload.extension !== undefined);
    return all === 0 ? 1 : matching / all;
  }

  async up(signal: AbortSignal, context: MigrationContext): Promise<void> {
    // In SQL: UPDATE uploads SET extension = ... WHERE id IN (SELECT id FROM uploads WHERE
    // extension IS NULL LIMIT 100 FOR UPDATE SKIP LOCKED), with `context.epoch` as a fence.
    void context;
    for (const upload of this.uploads.scan((row) => row.extension === undefined, BATCH)) {
      if (signal.aborted) return;
      upload.extension = extensionOf(upload.name);
    }
    await yieldToEventLoop(); // where a real store would await its UPDATE
  }

  async down(signal: AbortSignal): Promise<void> {
    for (const upload of this.uploads.scan((row) => row.extension !== undefined, BATCH)) {
      if (signal.aborted) return;
      delete upload.extension;
    }
    await yieldToEventLoop();
  }
}
