import { Body, Controller, Get, Inject, Post } from '@nestjs/common';
import { RoutinesRegistry } from 'nestjs-routines';
import { PROCESSED_UPLOADS, ProcessingDatabase } from './processing-database';

@Controller('processing')
export class ProcessingController {
  constructor(
    @Inject(ProcessingDatabase) private readonly database: ProcessingDatabase,
    private readonly routines: RoutinesRegistry,
  ) {}

  /** Records an upload: the INSERT is the enqueue (in a real app, in the same transaction as the rest). */
  @Post('uploads')
  async add(@Body() body: { path: string }): Promise<{ id: string }> {
    const { rows } = await this.database.pool!.query(
      `INSERT INTO ${PROCESSED_UPLOADS} (path) VALUES ($1) RETURNING id::text AS id`,
      [String(body?.path ?? '')],
    );
    return rows[0] as { id: string };
  }

  /** Rows by state, and how long the oldest due row has waited. */
  @Get('uploads')
  counts() {
    return this.routines.worker('thumbnail-renderer').counts();
  }

  /** The worker's last job attempts in this process, newest first, and figures over them. */
  @Get('jobs')
  jobs() {
    const worker = this.routines.worker('thumbnail-renderer');
    return {
      inFlight: worker.inFlight,
      stats: worker.stats(),
      recent: worker.history({ limit: 20 }),
    };
  }
}
