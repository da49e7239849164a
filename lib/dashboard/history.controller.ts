import {
  BadRequestException,
  Get,
  Header,
  Inject,
  NotFoundException,
  Param,
  Query,
} from '@nestjs/common';
import type { RunStatsBucket, RunStatsGrain } from '../core';
import type { RunRecord } from '../observability';
import type { RunHistoryOptions } from '../nest/interfaces/run-history-options.interface';
import { RoutinesRegistry } from '../nest/routines.registry';
import { RoutineNotFoundError } from '../nest/routines.errors';
import { DASHBOARD_SETTINGS, type ResolvedDashboardSettings } from './dashboard.settings';
import { RoutinesCluster } from './routines-cluster';

/** `GET <path>/api/routines/:name/runs`: a routine's runs, newest first, and where they come from. */
export interface DashboardRuns {
  /** 'engine': every replica's runs, from the coordinator; 'this replica': this process's ring. */
  source: 'engine' | 'this replica';
  runs: RunRecord[];
}

/** `GET <path>/api/routines/:name/stats?by=hour|day`: the buckets, oldest first, empty ones left out. */
export interface DashboardRunStats {
  by: RunStatsGrain;
  buckets: Array<
    Omit<RunStatsBucket, 'durationMs'> & { durationMs?: { min: number; avg: number; max: number } }
  >;
}

const MAX_LIMIT = 1_000;
const DEFAULT_LIMIT = 100;

/**
 * A routine's run history and stats, from the engine's history when the routines module writes
 * to one (every replica's runs), else from this replica's ring. Read-only; guarded by the
 * dashboard's guards. A stack is shown only with the dashboard's `exposeStacks`.
 */
export class RoutinesHistoryController {
  constructor(
    protected readonly registry: RoutinesRegistry,
    protected readonly cluster: RoutinesCluster,
    @Inject(DASHBOARD_SETTINGS) protected readonly settings: ResolvedDashboardSettings,
  ) {}

  /** `?from=&to=` (ms or ISO dates), `?replica=` (a replica id), `?limit=` (1 to 1,000; default 100). */
  @Get('api/routines/:name/runs')
  @Header('Cache-Control', 'no-store')
  async runs(
    @Param('name') name: string,
    @Query('from') from?: string,
    @Query('to') to?: string,
    @Query('replica') replica?: string,
    @Query('limit') limit?: string,
  ): Promise<DashboardRuns> {
    const options: RunHistoryOptions = { limit: count(limit) };
    const since = instant('from', from);
    const until = instant('to', to);
    if (since !== undefined) options.from = since;
    if (until !== undefined) options.to = until;
    if (replica !== undefined) {
      if (typeof replica !== 'string' || replica === '')
        throw new BadRequestException(`replica must be a replica id, not '${String(replica)}'`);
      options.replica = replica;
    }
    await this.mustKnow(name);
    const runs = await this.registry.readHistory(name, options, true);
    return {
      source: this.registry.historySource,
      runs: this.settings.exposeStacks ? runs : runs.map(withoutStack),
    };
  }

  /** `?by=hour|day` (required), `?from=&to=` (ms or ISO dates). */
  @Get('api/routines/:name/stats')
  @Header('Cache-Control', 'no-store')
  async stats(
    @Param('name') name: string,
    @Query('by') by?: string,
    @Query('from') from?: string,
    @Query('to') to?: string,
  ): Promise<DashboardRunStats> {
    if (by !== 'hour' && by !== 'day')
      throw new BadRequestException(`by must be 'hour' or 'day', not '${String(by)}'`);
    const since = instant('from', from);
    const until = instant('to', to);
    await this.mustKnow(name);
    const buckets = await this.registry.readStats(
      name,
      {
        by,
        ...(since === undefined ? {} : { from: since }),
        ...(until === undefined ? {} : { to: until }),
      },
      true,
    );
    return { by, buckets: buckets.map(withoutTotal) };
  }

  /** A routine this replica runs, or one another live replica published: else 404. */
  private async mustKnow(name: string): Promise<void> {
    if (this.registry.has(name)) return;
    const { replicas } = await this.cluster.replicas();
    const names = new Set(replicas.flatMap((replica) => replica.routines.map((r) => r.name)));
    if (!names.has(name))
      throw new NotFoundException(new RoutineNotFoundError(name, [...names]).message);
  }
}

function count(limit: string | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  const value = Number(limit);
  if (!Number.isInteger(value) || value < 1 || value > MAX_LIMIT)
    throw new BadRequestException(
      `limit must be a whole number from 1 to ${MAX_LIMIT}, not '${String(limit)}'`,
    );
  return value;
}

/** A query time: wall-clock ms, or a date `Date.parse` reads (ISO 8601). */
function instant(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms =
    typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : Date.parse(String(value));
  if (!Number.isFinite(ms))
    throw new BadRequestException(
      `${option} must be wall-clock ms or an ISO date (2026-12-07T10:00:00Z), not '${String(value)}'`,
    );
  return ms;
}

function withoutStack(run: RunRecord): RunRecord {
  if (run.error?.stack === undefined) return run;
  const { stack: _stack, ...error } = run.error;
  return { ...run, error };
}

/** The page's shape: min, avg and max (the total is the engine's, for adding buckets up). */
function withoutTotal(bucket: RunStatsBucket): DashboardRunStats['buckets'][number] {
  if (!bucket.durationMs) return bucket;
  const { min, avg, max } = bucket.durationMs;
  return { ...bucket, durationMs: { min, avg, max } };
}
