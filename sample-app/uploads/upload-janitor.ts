import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CronExpression, parseDuration, Periodic } from 'nestjs-routines';
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

  // '30s' unless HARD_DELETE_INTERVAL is set: AppModule overrides it by the routine's name.
  @Periodic('30s', {
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

  /** A cron routine: `GET /routines/uploads-report/next-runs` lists its next times. */
  @Periodic(
    { cron: CronExpression.EVERY_HOUR, timeZone: 'UTC' },
    { name: 'uploads-report', description: 'logs how many uploads are live and soft-deleted' },
  )
  report(): void {
    const all = this.uploads.findAll({ includeDeleted: true });
    const deleted = all.filter((upload) => upload.deletedAt !== undefined).length;
    this.logger.log(`uploads: ${all.length - deleted} live, ${deleted} soft-deleted`);
  }
}

function retentionFrom(value: string): number {
  const parsed = parseDuration(value);
  if ('problem' in parsed) throw new Error(`UPLOAD_RETENTION=${value} ${parsed.problem}`);
  return parsed.ms;
}
