import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { parseDuration, Periodic } from 'nestjs-routines';
import { UploadsService } from './uploads.service';

/** Hard-deletes uploads once they have been soft-deleted for longer than the retention. */
@Injectable()
export class UploadJanitor {
  private readonly logger = new Logger(UploadJanitor.name);
  private readonly retentionMs: number;

  constructor(
    private readonly uploads: UploadsService,
    config: ConfigService,
  ) {
    this.retentionMs = retentionFrom(config.get<string>('UPLOAD_RETENTION', '1m'));
  }

  // '2m' is the default; AppModule overrides it from HARD_DELETE_INTERVAL by the routine's name.
  @Periodic('2m', {
    name: 'hard-deleter',
    description: 'hard-deletes uploads soft-deleted more than UPLOAD_RETENTION ago',
  })
  async hardDelete(signal: AbortSignal): Promise<void> {
    const cutoff = new Date(Date.now() - this.retentionMs);
    const deleted = await this.uploads.hardDeleteSoftDeletedBefore(cutoff, signal);
    const early = signal.aborted ? ' (stopped early: shutting down)' : '';
    this.logger.log(
      `hard-deleted ${deleted} upload(s) soft-deleted before ${cutoff.toISOString()}${early}`,
    );
  }
}

function retentionFrom(value: string): number {
  const parsed = parseDuration(value);
  if ('problem' in parsed) throw new Error(`UPLOAD_RETENTION=${value} ${parsed.problem}`);
  return parsed.ms;
}
