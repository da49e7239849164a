import { STATES as ROUTINE_STATES } from '../observability/metrics-recorders';
import type { ClusterStatus, RoutineKind, RoutineScope, RoutineState } from '../core';
import type { RoutineHealth } from '../observability';
import { capText, type ReplicaRoutine, type ReplicaSnapshot } from './replica-snapshot';

/** A snapshot read back, and how many of its entries were invalid and left out or reset. */
export interface ReadSnapshot {
  /** Undefined when the text is no snapshot at all (not JSON, no id, no routines). */
  snapshot?: ReplicaSnapshot;
  /** Fields dropped or reset to their default, and routines skipped. */
  invalid: number;
}

/** The publish period assumed for a snapshot of a version that did not publish one. */
export const DEFAULT_PUBLISH_EVERY_MS = 5_000;
/** More routines than any app declares: the rest of a larger list is skipped (and counted). */
export const MAX_ROUTINES = 20_000;
const MAX_NAME = 200;
const MAX_HOST = 255;
const MAX_SHORT = 100;
/** 1 day: a longer publish period is no setting, a corrupt number. */
const MAX_PUBLISH_EVERY_MS = 86_400_000;
/** The largest time a Date holds. */
const MAX_TIME = 8.64e15;

const KINDS: ReadonlySet<RoutineKind> = new Set(['periodic', 'background']);
const SCOPES: ReadonlySet<RoutineScope> = new Set(['instance', 'cluster']);
// The registry's states, as the metrics list them: one list, so a new state is read here too.
const STATES: ReadonlySet<RoutineState> = new Set(ROUTINE_STATES);
const RUN_STATUSES: ReadonlySet<string> = new Set([
  'running',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
]);
const ROLES: ReadonlySet<ClusterStatus['role']> = new Set(['leader', 'standby', 'unknown']);
const CLAIM_OUTCOMES: ReadonlySet<string> = new Set(['won', 'lost', 'error']);
const COUNTERS = ['runs', 'succeeded', 'failures', 'cancelled', 'skipped', 'restarts'] as const;
const CLAIMS = ['won', 'lost', 'errors'] as const;

type Json = Record<string, unknown>;

/**
 * Another replica's snapshot, read as untrusted input: every field checked for its type and
 * range, so that only the expected primitives reach the page. A bad optional field is
 * dropped, a bad count or flag reset to its default, a routine without a valid name, kind,
 * scope or state skipped; each counts as one invalid entry. Long texts are cut.
 *
 * @internal
 */
export function readSnapshot(text: string): ReadSnapshot {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { invalid: 1 };
  }
  if (!isObject(value) || !isName(value.id) || !Array.isArray(value.routines))
    return { invalid: 1 };
  const fields = new FieldReader();
  const snapshot: ReplicaSnapshot = {
    id: value.id,
    host: fields.text(value.host, MAX_HOST) ?? '',
    pid: fields.count(value.pid),
    startedAt: fields.time(value.startedAt) ?? 0,
    // No valid time: judged lost at once, which a replica that cannot say when it published is.
    publishedAt: fields.time(value.publishedAt) ?? 0,
    publishEvery: publishEveryOf(value.publishEvery, fields),
    routines: [],
  };
  const forgetAfter = fields.duration(value.forgetAfter);
  if (forgetAfter !== undefined) snapshot.forgetAfter = forgetAfter;
  const version = fields.text(value.version, MAX_SHORT);
  if (version !== undefined) snapshot.version = version;
  const listed = value.routines as unknown[];
  fields.invalid += Math.max(0, listed.length - MAX_ROUTINES);
  const seen = new Set<string>();
  for (const entry of listed.slice(0, MAX_ROUTINES)) {
    const routine = readRoutine(entry, fields);
    // A name listed twice is one of the two entries too many.
    if (!routine || seen.has(routine.name)) fields.invalid++;
    else {
      seen.add(routine.name);
      snapshot.routines.push(routine);
    }
  }
  return { snapshot, invalid: fields.invalid };
}

function publishEveryOf(value: unknown, fields: FieldReader): number {
  if (value === undefined) return DEFAULT_PUBLISH_EVERY_MS; // a replica of the previous version
  if (typeof value === 'number' && value > 0 && value <= MAX_PUBLISH_EVERY_MS) return value;
  fields.invalid++;
  return DEFAULT_PUBLISH_EVERY_MS;
}

/** A routine, or undefined when what identifies it is missing or wrong. */
function readRoutine(value: unknown, fields: FieldReader): ReplicaRoutine | undefined {
  if (!isObject(value) || !isName(value.name)) return undefined;
  const { kind, scope, state } = value;
  if (!KINDS.has(kind as RoutineKind) || !SCOPES.has(scope as RoutineScope)) return undefined;
  if (!STATES.has(state as RoutineState)) return undefined;
  const routine: ReplicaRoutine = {
    name: value.name,
    kind: kind as RoutineKind,
    scope: scope as RoutineScope,
    state: state as RoutineState,
    inFlight: fields.count(value.inFlight),
    counters: readCounts(value.counters, COUNTERS, fields),
    health: readHealth(value.health, fields),
  };
  const description = fields.text(value.description);
  if (description !== undefined) routine.description = description;
  const schedule = fields.text(value.schedule, MAX_NAME);
  if (schedule !== undefined) routine.schedule = schedule;
  const nextRunAt = fields.time(value.nextRunAt);
  if (nextRunAt !== undefined) routine.nextRunAt = nextRunAt;
  const lastRun = fields.optional(value.lastRun, readLastRun);
  if (lastRun) routine.lastRun = lastRun;
  const lastError = fields.optional(value.lastError, readLastError);
  if (lastError) routine.lastError = lastError;
  const cluster = fields.optional(value.cluster, readCluster);
  if (cluster) routine.cluster = cluster;
  return routine;
}

function readLastRun(value: Json, fields: FieldReader): ReplicaRoutine['lastRun'] {
  const dueAt = fields.time(value.dueAt);
  if (!RUN_STATUSES.has(value.status as string) || dueAt === undefined) return undefined;
  const run: NonNullable<ReplicaRoutine['lastRun']> = { status: value.status as string, dueAt };
  const reason = fields.text(value.reason, MAX_SHORT);
  if (reason !== undefined) run.reason = reason;
  const startedAt = fields.time(value.startedAt);
  if (startedAt !== undefined) run.startedAt = startedAt;
  const durationMs = fields.duration(value.durationMs);
  if (durationMs !== undefined) run.durationMs = durationMs;
  return run;
}

function readLastError(value: Json, fields: FieldReader): ReplicaRoutine['lastError'] {
  const at = fields.time(value.at);
  const message = fields.text(value.message);
  return at === undefined || message === undefined ? undefined : { at, message };
}

function readCluster(value: Json, fields: FieldReader): ClusterStatus | undefined {
  if (!ROLES.has(value.role as ClusterStatus['role'])) return undefined;
  const cluster: ClusterStatus = { role: value.role as ClusterStatus['role'] };
  if (value.epoch !== undefined) cluster.epoch = fields.count(value.epoch);
  const claim = fields.optional(value.lastClaim, (last) => {
    const at = fields.time(last.at);
    if (!CLAIM_OUTCOMES.has(last.outcome as string) || at === undefined) return undefined;
    if (!isCount(last.slot)) return undefined;
    return { slot: last.slot, outcome: last.outcome as 'won' | 'lost' | 'error', at };
  });
  if (claim) cluster.lastClaim = claim;
  if (value.claims !== undefined) cluster.claims = readCounts(value.claims, CLAIMS, fields);
  return cluster;
}

function readHealth(value: unknown, fields: FieldReader): RoutineHealth {
  const health: Json = isObject(value) ? value : (fields.reject(value), {});
  return {
    late: fields.flag(health.late),
    slow: fields.flag(health.slow),
    consecutiveFailures: fields.count(health.consecutiveFailures),
  };
}

/** Counts by name, each 0 when left out (a compact snapshot) or invalid. */
function readCounts<K extends string>(
  value: unknown,
  names: readonly K[],
  fields: FieldReader,
): Record<K, number> {
  const counts: Json = isObject(value) ? value : (fields.reject(value), {});
  return Object.fromEntries(names.map((name) => [name, fields.count(counts[name])])) as Record<
    K,
    number
  >;
}

/** Reads fields, counting the invalid ones. An absent field is never invalid. */
class FieldReader {
  invalid = 0;

  /** A value that is there and wrong: counted. */
  reject(value: unknown): void {
    if (value !== undefined) this.invalid++;
  }

  text(value: unknown, max?: number): string | undefined {
    if (typeof value === 'string') return capText(value, max);
    this.reject(value);
    return undefined;
  }

  /** A whole number of things, 0 when absent or invalid. */
  count(value: unknown): number {
    if (isCount(value)) return value;
    this.reject(value);
    return 0;
  }

  flag(value: unknown): boolean {
    if (typeof value === 'boolean') return value;
    this.reject(value);
    return false;
  }

  /** Wall-clock ms. */
  time(value: unknown): number | undefined {
    if (typeof value === 'number' && value >= 0 && value <= MAX_TIME) return value;
    this.reject(value);
    return undefined;
  }

  /** ms, fractions allowed. */
  duration(value: unknown): number | undefined {
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
    this.reject(value);
    return undefined;
  }

  /** An optional object field, read by `read`; dropped (and counted) when not an object or when `read` refuses it. */
  optional<T>(
    value: unknown,
    read: (value: Json, fields: FieldReader) => T | undefined,
  ): T | undefined {
    if (value === undefined) return undefined;
    const result = isObject(value) ? read(value, this) : undefined;
    if (result === undefined) this.invalid++;
    return result;
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME;
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
