import { BadRequestException, Get, HttpException, Query } from '@nestjs/common';
import { DashboardAudit } from './dashboard-audit';
import type { AuditEntry } from '../cluster/ports';
import { MESSAGES } from './dashboard.messages';

/** Entries a page reads when it gives no `limit`, and the most it may ask. */
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

/**
 * `GET <path>/api/audit?limit=&routine=&before=`: the audit trail, newest first, of every
 * replica when the engine keeps it. Readable by whoever reads the page (the dashboard's
 * guards), with or without `control`.
 */
export class AuditController {
  constructor(protected readonly audit: DashboardAudit) {}

  @Get('api/audit')
  async entries(
    @Query('limit') limit?: string,
    @Query('routine') routine?: string,
    @Query('before') before?: string,
  ): Promise<{ entries: AuditEntry[] }> {
    const query = {
      limit: whole('limit', limit, DEFAULT_LIMIT, MAX_LIMIT),
      target: routine === undefined || routine === '' ? undefined : routine,
      before: before === undefined || before === '' ? undefined : whole('before', before, 0),
    };
    try {
      return { entries: await this.audit.list(query) };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new HttpException({ statusCode: 503, message, error: 'Service Unavailable' }, 503);
    }
  }
}

/** A whole number from the query, at least 1 (and at most `max`), or the default. */
function whole(name: string, value: string | undefined, fallback: number, max = Infinity): number {
  if (value === undefined || value === '') return fallback;
  const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(parsed >= 1 && parsed <= max))
    throw new BadRequestException(MESSAGES.badQuery(name, value, max));
  return parsed;
}
