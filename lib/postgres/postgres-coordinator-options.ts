// Type-only: an app that never constructs a PostgresCoordinator never loads pg.
import type { Pool } from 'pg';
import { describeValue } from '../cluster/coordination.errors';
import { MESSAGES } from './postgres.messages';
import { parseDuration, type Duration } from '../core/duration';
import { RoutinesConfigurationError, type ConfigurationProblem } from '../core/errors';
import type { CoordinatorTableNames } from './sql/tables';

export interface PostgresCoordinatorOptions {
  /** Schema of the two tables; created if missing. Default: 'public'. */
  schema?: string;
  /** Table of claimed periodic slots. Default: 'routines_slots'. */
  slotTable?: string;
  /** Table of background leases, one row per routine. Default: 'routines_leases'. */
  leaseTable?: string;
  /** Table of live replicas, for the dashboard. Default: 'routines_replicas'. */
  replicaTable?: string;
  /** Table of routine controls set from the dashboard (a cluster-wide pause). Default: 'routines_controls'. */
  controlTable?: string;
  /** Out-of-band migrations' table (its errors go in `<name>_errors`). Default: 'routines_migrations'. */
  migrationTable?: string;
  /** Run markers of cluster periodic routines (overlap across replicas). Default: 'routines_runs'. */
  runTable?: string;
  /** The dashboard's audit trail (the newest 10,000 actions). Default: 'routines_audit'. */
  auditTable?: string;
  /**
   * The run history of every replica: raw runs, and hourly and daily stats in
   * `<historyTable>_stats`. Default: 'routines_run_history'.
   */
  historyTable?: string;
  /**
   * The most the replicas' wall clocks may differ from the database's. When the tables were
   * created again (dropped, or a database restored without them), slots due up to this long
   * after were refused, since a replica whose clock runs ahead may have claimed them before.
   * Default: '1s'.
   */
  maxClockSkew?: Duration;
  /**
   * How long a slot row is kept once its claim has expired, before it is pruned (pruning
   * runs every few hundred claims, off the claim's path). Default: '1h'.
   */
  pruneAfter?: Duration;
  /**
   * Where pool errors are reported when the pool has no `'error'` listener of its own.
   * Default: `console`.
   */
  logger?: { warn(message: string): void };
}

/** The options checked, with their defaults. */
export interface ResolvedPostgresOptions {
  names: CoordinatorTableNames;
  skewMs: number;
  pruneAfterMs: number;
}

const SOURCE = 'PostgresCoordinator';
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** @internal Refuses anything but a `pg.Pool`, on its own: the other options are not checked then. */
export function checkPostgresPool(pool: unknown): asserts pool is Pool {
  const message = poolProblem(pool);
  if (message === undefined) return;
  throw new RoutinesConfigurationError([
    { option: 'pool', value: describeValue(pool), source: SOURCE, message },
  ]);
}

/** Why `pool` cannot serve as the coordinator's pool, if it cannot. */
function poolProblem(pool: unknown): string | undefined {
  const candidate = pool as Partial<Pool> | null;
  if (candidate === null || typeof candidate !== 'object' || typeof candidate.query !== 'function')
    return MESSAGES.notPool;
  if (typeof candidate.totalCount !== 'number' || typeof candidate.idleCount !== 'number')
    return MESSAGES.singleClient;
  return undefined;
}

/** Checks every option, and throws one error that lists all the problems found. */
export function resolvePostgresOptions(
  options: PostgresCoordinatorOptions,
): ResolvedPostgresOptions {
  const problems: ConfigurationProblem[] = [];
  const names = tableNames(options, problems);
  checkDistinct(names, problems);
  const pruneAfterMs = duration('pruneAfter', options.pruneAfter, 3_600_000, problems);
  const skewMs = duration('maxClockSkew', options.maxClockSkew, 1000, problems);
  if (problems.length > 0) throw new RoutinesConfigurationError(problems);
  return { names, skewMs, pruneAfterMs };
}

function tableNames(
  options: PostgresCoordinatorOptions,
  problems: ConfigurationProblem[],
): CoordinatorTableNames {
  const identifier = (option: string, value: unknown, fallback: string): string => {
    if (value === undefined) return fallback;
    if (typeof value === 'string' && IDENTIFIER.test(value)) return value;
    problems.push({ option, value, source: SOURCE, message: MESSAGES.notIdentifier });
    return fallback;
  };
  return {
    schema: identifier('schema', options.schema, 'public'),
    slotTable: identifier('slotTable', options.slotTable, 'routines_slots'),
    leaseTable: identifier('leaseTable', options.leaseTable, 'routines_leases'),
    replicaTable: identifier('replicaTable', options.replicaTable, 'routines_replicas'),
    controlTable: identifier('controlTable', options.controlTable, 'routines_controls'),
    migrationTable: identifier('migrationTable', options.migrationTable, 'routines_migrations'),
    runTable: identifier('runTable', options.runTable, 'routines_runs'),
    historyTable: identifier('historyTable', options.historyTable, 'routines_run_history'),
    auditTable: identifier('auditTable', options.auditTable, 'routines_audit'),
  };
}

/** Two options naming one table would mix rows of different shapes in it. */
function checkDistinct(names: CoordinatorTableNames, problems: ConfigurationProblem[]): void {
  const seen = new Set<string>();
  for (const [option, name] of [
    ['slotTable', names.slotTable],
    ['leaseTable', names.leaseTable],
    ['replicaTable', names.replicaTable],
    ['controlTable', names.controlTable],
    ['migrationTable', names.migrationTable],
    ['migrationTable', `${names.migrationTable}_errors`],
    ['runTable', names.runTable],
    ['historyTable', names.historyTable],
    ['historyTable', `${names.historyTable}_stats`],
    ['auditTable', names.auditTable],
  ]) {
    if (seen.has(name)) {
      problems.push({ option, value: name, source: SOURCE, message: MESSAGES.sameTables });
    }
    seen.add(name);
  }
}

function duration(
  option: string,
  value: Duration | undefined,
  fallback: number,
  problems: ConfigurationProblem[],
): number {
  if (value === undefined) return fallback;
  const parsed = parseDuration(value, { allowZero: true });
  if ('ms' in parsed) return parsed.ms;
  problems.push({ option, value, source: SOURCE, message: parsed.problem });
  return fallback;
}
