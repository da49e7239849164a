import type { RegisteredRoutineInfo } from '../nest/interfaces/registered-routine.interface';
import type { JobRecord, JobStats, RunRecord } from '../observability';
import type { MigrationInfo } from '../migrations';
import type { RoutineControls } from '../controls';
import type { ReplicasView } from './routines-cluster';
import type { ReplicaIdentity } from '../controls';
import type { ReplicaRoutine, ReplicaSnapshot } from './replica-snapshot';

/** A routine on one replica, as the list shows it next to the others. */
export interface RoutineOnReplica extends Omit<
  ReplicaRoutine,
  'name' | 'kind' | 'scope' | 'description' | 'schedule'
> {
  replica: string;
  host: string;
  pid: number;
  /** The replica stopped publishing (killed, cut off): this is its last word, not its state now. */
  lost?: true;
}

/** Who ran a cluster routine last: the lease holder (background) or the winner of the latest slot (periodic). */
export interface ClusterRunner {
  replica: string;
  host: string;
  pid: number;
  epoch?: number;
  slot?: number;
}

/** A routine as the dashboard's JSON lists it: the registry's snapshot and what the replicas add. */
export interface DashboardRoutine extends RegisteredRoutineInfo {
  /**
   * Health in words, empty when healthy: `failed`, `failing` (failures in a row), `late`,
   * `slow`, and `lost` for a routine seen only on lost replicas.
   */
  problems: string[];
  /** False for a routine seen only in another replica's snapshot (added there at run time). */
  here: boolean;
  /** Seen only on replicas that are lost: nobody is known to run it now (also in `problems`). */
  lost?: true;
  /** Its state and counters on every live replica, this one first. */
  replicas: RoutineOnReplica[];
  /** Cluster routines: the replica that holds the lease or ran the latest slot. */
  runner?: ClusterRunner;
  /** Controls kept by the coordinator for a cluster routine (a pause, an interval set). */
  controls?: RoutineControls;
  /** A `@Worker`'s routine: its jobs on this replica and its table's rows. */
  worker?: DashboardWorker;
}

/** A worker as the dashboard shows it, next to the routine that runs it. */
export interface DashboardWorker {
  /** Jobs running on this replica. */
  inFlight: number;
  /** Over the job attempts kept on this replica (the module's `history`). */
  stats: JobStats;
  /** Its table's rows by state (every replica's), when the database answered in time. */
  rows?: Record<string, number>;
  /** How long the oldest row due has waited, in ms. */
  oldestQueuedMs?: number;
  /** Why `rows` is missing. */
  rowsProblem?: string;
  /** The last failed, retried, cancelled or lost attempts, newest first (at most 3). */
  recentErrors: JobRecord[];
}

export interface DashboardSummary {
  routines: number;
  /** Replicas lost: they stopped publishing without withdrawing (see {@link DashboardReplica}). */
  lost: number;
  failing: number;
  late: number;
  paused: number;
  problems: number;
}

/** A replica in the list, with when it last published. */
export interface DashboardReplica extends ReplicaIdentity {
  publishedAt: number;
  routines: number;
  /**
   * No snapshot for twice its publish period (its own `replicas.publishEvery`): killed, hung
   * or cut off from the coordinator. It stays listed, never a `runner`, until `forgetAfter`.
   */
  lost?: true;
  /**
   * When it was judged lost: its last snapshot plus twice its publish period (wall-clock ms,
   * this replica's clock; the snapshot's age on the engine's clock where the directory tells).
   */
  lostSince?: number;
}

/** `GET <path>/api/routines`. */
export interface DashboardList {
  generatedAt: number;
  replica: ReplicaIdentity;
  /** This replica first, then the others; lost ones included (`lost: true`). */
  replicas: DashboardReplica[];
  /** Why other replicas are missing, when they are. */
  replicasProblem?: string;
  /** Whether replicas share a coordinator (every replica shown, cluster pauses everywhere). */
  shared: boolean;
  summary: DashboardSummary;
  routines: DashboardRoutine[];
  /** The out-of-band migrations, when the app declares some: progress, direction, rate, errors. */
  migrations?: MigrationInfo[];
  /** Why `migrations` is missing although the app declares some. */
  migrationsProblem?: string;
}

/** `GET <path>/api/routines/:name`: one routine and its history, newest first. */
export interface DashboardRoutineDetail extends DashboardRoutine {
  history: RunRecord[];
  /** A worker's routine: its last job attempts on this replica, newest first. */
  jobs?: JobRecord[];
}

export function buildList(
  local: readonly RegisteredRoutineInfo[],
  view: ReplicasView,
  controls: ReadonlyMap<string, RoutineControls>,
  shared: boolean,
  exposeStacks: boolean,
  /** Wall-clock ms on the module's clock. */
  now: number,
): DashboardList {
  const [self] = view.replicas;
  // This replica is never lost: it is answering.
  const ages = view.replicas.map((replica) => ageOf(replica, now, view.ageMs));
  const lost = view.replicas.map((replica, i) => i > 0 && ages[i] > 2 * replica.publishEvery);
  // By replica, its routines by name: one pass each, not a search per routine and replica.
  const byName = view.replicas.map(
    (replica) => new Map(replica.routines.map((routine) => [routine.name, routine])),
  );
  const remoteOnly = routinesElsewhere(view.replicas, lost, local);
  const routines: DashboardRoutine[] = [
    ...local.map((info) => ({ info, here: true, lostOnly: false })),
    ...[...remoteOnly.values()].map(({ routine, lostOnly }) => ({
      info: fromReplica(routine),
      here: false,
      lostOnly,
    })),
  ].map(({ info, here, lostOnly }) => {
    const routine: DashboardRoutine = {
      ...info,
      lastRun: info.lastRun && withStack(info.lastRun, exposeStacks),
      problems: lostOnly ? [...problemsOf(info), 'lost'] : problemsOf(info),
      here,
      replicas: view.replicas.flatMap((replica, i) =>
        onReplica(replica, byName[i].get(info.name), lost[i]),
      ),
    };
    if (lostOnly) routine.lost = true;
    const runner =
      info.scope === 'cluster' ? runnerOf(view.replicas, byName, lost, info.name) : undefined;
    if (runner) routine.runner = runner;
    const kept = controls.get(info.name);
    if (kept && info.scope === 'cluster') routine.controls = kept;
    return routine;
  });
  const list: DashboardList = {
    generatedAt: now,
    replica: identityOf(self),
    replicas: view.replicas.map((replica, i) =>
      listedReplica(replica, lost[i] ? now - ages[i] + 2 * replica.publishEvery : undefined),
    ),
    shared,
    summary: summarize(routines, lost.filter(Boolean).length),
    routines,
  };
  if (view.problem) list.replicasProblem = view.problem;
  return list;
}

/**
 * Whether a replica is lost: its last snapshot is older than twice the period it publishes at
 * (its own, from the snapshot). The age is the engine's (`ageMs`, see {@link ReplicasView}),
 * else the wall clocks' (the writer's `publishedAt` against `now`).
 */
export function isLost(
  replica: ReplicaSnapshot,
  now: number,
  ageMs?: ReadonlyMap<string, number>,
): boolean {
  return ageOf(replica, now, ageMs) > 2 * replica.publishEvery;
}

/** How long ago a replica published: on the engine's clock when known, else on wall clocks. */
function ageOf(
  replica: ReplicaSnapshot,
  now: number,
  ageMs: ReadonlyMap<string, number> | undefined,
): number {
  return ageMs?.get(replica.id) ?? now - replica.publishedAt;
}

/**
 * The routines that are not here, each from the first live replica that has it (a lost
 * replica's state is stale), else from a lost one: `lostOnly`.
 */
function routinesElsewhere(
  replicas: readonly ReplicaSnapshot[],
  lost: readonly boolean[],
  local: readonly RegisteredRoutineInfo[],
): Map<string, { routine: ReplicaRoutine; lostOnly: boolean }> {
  const names = new Set(local.map((routine) => routine.name));
  const found = new Map<string, { routine: ReplicaRoutine; lostOnly: boolean }>();
  for (const [i, replica] of replicas.entries()) {
    if (i === 0) continue;
    for (const routine of replica.routines) {
      if (names.has(routine.name)) continue;
      const known = found.get(routine.name);
      if (!known || (known.lostOnly && !lost[i]))
        found.set(routine.name, { routine, lostOnly: lost[i] });
    }
  }
  return found;
}

function listedReplica(replica: ReplicaSnapshot, lostSince: number | undefined): DashboardReplica {
  const listed: DashboardReplica = {
    ...identityOf(replica),
    publishedAt: replica.publishedAt,
    routines: replica.routines.length,
  };
  if (lostSince !== undefined) {
    listed.lost = true;
    listed.lostSince = lostSince;
  }
  return listed;
}

function summarize(routines: readonly DashboardRoutine[], lost: number): DashboardSummary {
  return {
    routines: routines.length,
    lost,
    failing: routines.filter((r) => r.state === 'failed' || r.health.consecutiveFailures > 0)
      .length,
    late: routines.filter((r) => r.health.late).length,
    paused: routines.filter((r) => r.state === 'paused').length,
    problems: routines.filter((r) => r.problems.length > 0).length,
  };
}

function problemsOf(info: RegisteredRoutineInfo): string[] {
  const problems: string[] = [];
  if (info.state === 'failed') problems.push('failed');
  if (info.health.consecutiveFailures > 0) problems.push('failing');
  if (info.health.late) problems.push('late');
  if (info.health.slow) problems.push('slow');
  return problems;
}

function onReplica(
  replica: ReplicaSnapshot,
  routine: ReplicaRoutine | undefined,
  lost: boolean,
): RoutineOnReplica[] {
  if (!routine) return [];
  const {
    name: _name,
    kind: _kind,
    scope: _scope,
    description: _d,
    schedule: _s,
    ...state
  } = routine;
  const row: RoutineOnReplica = {
    replica: replica.id,
    host: replica.host,
    pid: replica.pid,
    ...state,
  };
  if (lost) row.lost = true;
  return [row];
}

/** The live replica that holds the lease or won the latest slot: a lost one runs nothing now. */
function runnerOf(
  replicas: readonly ReplicaSnapshot[],
  byName: ReadonlyArray<ReadonlyMap<string, ReplicaRoutine>>,
  lost: readonly boolean[],
  name: string,
): ClusterRunner | undefined {
  let best: ClusterRunner | undefined;
  for (const [i, replica] of replicas.entries()) {
    if (lost[i]) continue;
    const cluster = byName[i].get(name)?.cluster;
    if (!cluster) continue;
    const who = { replica: replica.id, host: replica.host, pid: replica.pid };
    if (cluster.role === 'leader' && cluster.epoch !== undefined)
      return { ...who, epoch: cluster.epoch };
    const claim = cluster.lastClaim;
    if (claim?.outcome === 'won' && (best?.slot === undefined || claim.slot > best.slot)) {
      best = { ...who, slot: claim.slot };
    }
  }
  return best;
}

/**
 * A routine known only from another replica's snapshot, in the registry's shape. Its `cluster`
 * status (a role, a claim) is that replica's, not this one's: it stays in the replica's row.
 */
function fromReplica({ cluster: _elsewhere, ...routine }: ReplicaRoutine): RegisteredRoutineInfo {
  return {
    ...routine,
    lastRun: routine.lastRun as RegisteredRoutineInfo['lastRun'],
    enabled: routine.state !== 'disabled',
    source: 'another replica',
    removable: false,
  };
}

function identityOf(replica: ReplicaSnapshot): ReplicaIdentity {
  const identity: ReplicaIdentity = {
    id: replica.id,
    host: replica.host,
    pid: replica.pid,
    startedAt: replica.startedAt,
  };
  if (replica.version !== undefined) identity.version = replica.version;
  return identity;
}

/** The registry keeps a run's stack out of JSON; `exposeStacks` puts it back. */
function withStack<T extends { error?: { name: string; message: string; stack?: string } }>(
  run: T,
  exposeStacks: boolean,
): T {
  if (!exposeStacks || !run.error?.stack) return run;
  return {
    ...run,
    error: { name: run.error.name, message: run.error.message, stack: run.error.stack },
  };
}
