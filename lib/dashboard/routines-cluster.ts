import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import {
  describeError,
  type Clock,
  type IntervalSpec,
  type PauseInfo,
  type BackfillOptions,
  type BackfillReport,
  type ReplicaDirectory,
  type TriggerOptions,
} from '../core';
import type { MigrationInfo } from '../migrations';
import type { RunRecord } from '../observability';
import type { RegisteredRunOutcome } from '../nest/interfaces/registered-routine.interface';
import {
  ClusterControls,
  coordinatorCall,
  RepeatedCall,
  ThisReplica,
  type ControlResult,
  type ReplicaIdentity,
  type RoutineControls,
} from '../controls';
import { RoutinesRegistry } from '../nest/routines.registry';
import type { RegisteredRoutineInfo } from '../nest/interfaces/registered-routine.interface';
import { DASHBOARD_SETTINGS, type ResolvedDashboardSettings } from './dashboard.settings';
import { MESSAGES } from './dashboard.messages';
import { replicaRoutine, snapshotText, type ReplicaSnapshot } from './replica-snapshot';
import { DEFAULT_PUBLISH_EVERY_MS, readSnapshot } from './replica-snapshot-reader';

/**
 * The replicas as the page shows them: this one always, the others when the coordinator
 * answered: those publishing, and those that stopped (lost) until `forgetAfter`.
 */
export interface ReplicasView {
  replicas: ReplicaSnapshot[];
  /** Why the others are missing: the coordinator failed, or cannot share (the in-memory one in several processes). */
  problem?: string;
  /**
   * How long ago each other replica published (ms, by id), on the engine's clock, where the
   * directory says how long a snapshot has left; else a reader compares wall clocks.
   */
  ageMs?: ReadonlyMap<string, number>;
}

/**
 * Every replica on one page, and controls that hold on all of them. Each replica publishes a
 * snapshot of its routines every `publishEvery` (one that stops is shown lost after twice that,
 * and forgotten after `forgetAfter`), and reads the controls every
 * `pollControls`: a pause or an interval set on a cluster routine from any replica is stored
 * by the coordinator and applied by each replica (also one that starts later), before its
 * routines' first tick. Instance routines are steered on the replica that receives the call.
 *
 * @example
 * constructor(private readonly cluster: RoutinesCluster) {}
 * await this.cluster.pause('hard-deleter'); // a cluster routine: paused on every replica
 * (await this.cluster.replicas()).replicas.map((replica) => replica.host);
 */
@Injectable()
// A registry plugin (`registry.use(this)`, checked there): not declared as implementing the
// internal RegistryPlugin, which the published declarations leave out.
export class RoutinesCluster implements OnModuleDestroy {
  private readonly logger = new Logger('RoutinesDashboard');
  private directory: ReplicaDirectory | undefined;
  private clock: Clock | undefined;
  private publishing: RepeatedCall | undefined;
  private closed = false;
  /** Replicas whose invalid entries were reported: once each, not at every refresh. */
  private readonly reportedInvalid = new Set<string>();

  // Injected as properties, not constructor parameters: Nest sets them before any lifecycle
  // hook, and the two internal classes stay out of every signature the library publishes.
  /** This process, as the controls know it too: one identity for a snapshot and a control. */
  @Inject(ThisReplica) private readonly replica!: ThisReplica;
  /** The operator controls are their own feature: this class answers for them on the dashboard. */
  @Inject(ClusterControls) private readonly clusterControls!: ClusterControls;

  /** @internal Made by Nest's injector: the app injects it, never constructs it. */
  constructor(
    private readonly registry: RoutinesRegistry,
    @Inject(DASHBOARD_SETTINGS) private readonly settings: ResolvedDashboardSettings,
  ) {
    registry.use(this);
  }

  /** This replica. */
  get self(): ReplicaIdentity {
    return this.replica.self;
  }

  /** Whether replicas share a directory (a Redis or PostgreSQL coordinator, and `replicas` not false). */
  get shared(): boolean {
    return this.resolve() !== undefined;
  }

  /** @internal Before routines first start: once the controls are read, publishes this replica. */
  async prepare(): Promise<void> {
    // What is published first is what the controls made of the routines (an interval set).
    await this.clusterControls.prepare();
    if (!this.resolve() || this.closed) return;
    const replicas = this.settings.replicas;
    this.publishing = new RepeatedCall(
      this.clock!,
      replicas ? replicas.publishEveryMs : 0,
      () => this.publish(),
      {
        failed: (message) => this.logger.warn(MESSAGES.publishFailed(message)),
        back: () => this.logger.log(MESSAGES.publishBack),
      },
    );
    this.publishing.start(true);
  }

  /** Live replicas, this one first with a fresh snapshot (of `local`, when the caller has just listed them). */
  async replicas(local?: RegisteredRoutineInfo[]): Promise<ReplicasView> {
    const self = this.snapshot(local);
    const directory = this.resolve();
    if (!directory) return { replicas: [self] };
    try {
      const listed = await this.call('list replicas', () => listExpiring(directory));
      const ageMs = new Map<string, number>();
      const others: ReplicaSnapshot[] = [];
      for (const { snapshot: text, expiresInMs } of listed) {
        const snapshot = this.read(text);
        if (!snapshot || snapshot.id === self.id) continue;
        others.push(snapshot);
        // Published with a ttl of forgetAfter, and expiresInMs left of it: its age, engine-timed.
        if (snapshot.forgetAfter !== undefined && expiresInMs !== undefined)
          ageMs.set(snapshot.id, Math.max(0, snapshot.forgetAfter - expiresInMs));
      }
      others.sort((a, b) => a.host.localeCompare(b.host) || a.pid - b.pid);
      return { replicas: [self, ...others], ageMs };
    } catch (error) {
      return { replicas: [self], problem: MESSAGES.directoryFailed(describeError(error).message) };
    }
  }

  /** The controls last read from the coordinator (or set here), by routine. */
  controls(): ReadonlyMap<string, RoutineControls> {
    return this.clusterControls.controls();
  }

  /** Runs a periodic routine once, here, and resolves once the run has ended (`options.overlap`: see `TriggerOptions`). */
  trigger(
    name: string,
    options?: TriggerOptions,
  ): Promise<ControlResult & { outcome: RegisteredRunOutcome }> {
    return this.clusterControls.trigger(name, options);
  }

  /**
   * Runs a periodic routine once, here, without waiting: `runId` when the run started at once
   * (its id in `registry.history` once it ends), and its outcome to come.
   *
   * @example
   * const { runId, outcome } = this.cluster.startTrigger('report');
   */
  startTrigger(
    name: string,
    options?: TriggerOptions,
  ): ControlResult & { runId?: number; outcome: Promise<RegisteredRunOutcome> } {
    return this.clusterControls.startTrigger(name, options);
  }

  /**
   * Backfills a past range here without waiting: how many due times will run, and the report
   * to come. A bad range is a RangeError.
   *
   * @example
   * const { dueTimes } = await this.cluster.startBackfill('hourly', { from: Date.parse('2026-12-01'), to: Date.now() });
   */
  startBackfill(
    name: string,
    options: BackfillOptions,
  ): Promise<ControlResult & { dueTimes: number; report: Promise<BackfillReport> }> {
    return this.clusterControls.startBackfill(name, options);
  }

  /** Cancels a periodic routine's runs in flight here (and its backfills started here). */
  cancel(name: string): ControlResult & { cancelled: number } {
    return this.clusterControls.cancel(name);
  }

  /** Starts, stops or restarts a routine here, as `RoutinesRegistry.start/stop/restart` do. */
  lifecycle(name: string, action: 'start' | 'stop' | 'restart'): Promise<ControlResult> {
    return this.clusterControls.lifecycle(name, action);
  }

  /**
   * Runs a migration backwards (`reverse`) or forward again: stored, so every replica follows
   * when the coordinator keeps migrations (Redis, PostgreSQL; `where: 'cluster'`). Resolves with
   * its state once stored.
   */
  async migrate(
    id: string,
    direction: 'reverse' | 'forward',
  ): Promise<{ where: 'cluster' | 'replica'; state: MigrationInfo }> {
    await this.registry.migrations[direction](id);
    const state = await this.registry.migrations.get(id);
    return {
      where: this.replica.sharedRuntime?.coordinator.migrations ? 'cluster' : 'replica',
      state,
    };
  }

  /**
   * A run of a routine by id: its history record once it ended, `{ status: 'running' }` while it
   * runs, undefined when this replica does not know it (never started here, or no longer kept).
   */
  run(name: string, id: number): RunRecord | { status: 'running' } | undefined {
    const history = this.registry.history(name);
    const record = history.find((run) => run.id === id);
    if (record) return record;
    const info = this.registry.get(name);
    const oldestKept = Math.min(...history.map((run) => run.id ?? Infinity));
    const started = id >= 1 && id <= info.counters.runs;
    // Runs end in any order with concurrency above 1: a run not kept yet, newer than the oldest kept.
    if (started && info.inFlight > 0 && (history.length === 0 || id > oldestKept)) {
      return { status: 'running' };
    }
    return undefined;
  }

  /** Pauses a routine: on every replica for a cluster routine (kept across restarts), here for an instance one. */
  pause(name: string, info?: PauseInfo): Promise<ControlResult> {
    return this.clusterControls.pause(name, info);
  }

  /** Resumes a routine paused with {@link pause}: everywhere for a cluster routine. */
  resume(name: string): Promise<ControlResult> {
    return this.clusterControls.resume(name);
  }

  /** Sets a periodic routine's interval or cron: on every replica for a cluster routine, here for an instance one. */
  setInterval(name: string, interval: IntervalSpec): Promise<ControlResult> {
    return this.clusterControls.setInterval(name, interval);
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    this.publishing?.stop();
    const directory = this.directory;
    if (!directory) return;
    const id = this.self.id;
    await this.call('withdraw replica', () => directory.withdraw(id)).catch(() => undefined);
  }

  /** Another replica's snapshot, checked field by field; its invalid entries reported once. */
  private read(text: string): ReplicaSnapshot | undefined {
    const { snapshot, invalid } = readSnapshot(text);
    const from = snapshot?.id ?? '(unreadable)';
    if (invalid > 0 && !this.reportedInvalid.has(from)) {
      // Ids are per process start: a long-lived replica must not keep every one it saw.
      if (this.reportedInvalid.size >= 1_000) this.reportedInvalid.clear();
      this.reportedInvalid.add(from);
      this.logger.warn(MESSAGES.invalidEntries(invalid, from));
    }
    return snapshot;
  }

  private snapshot(local = this.registry.list()): ReplicaSnapshot {
    const self = this.self;
    const replicas = this.settings.replicas;
    const snapshot: ReplicaSnapshot = {
      ...self,
      publishedAt: this.replica.wallNow(),
      publishEvery: replicas ? replicas.publishEveryMs : DEFAULT_PUBLISH_EVERY_MS,
      routines: local.map(replicaRoutine),
    };
    if (replicas) snapshot.forgetAfter = replicas.forgetAfterMs;
    return snapshot;
  }

  /**
   * Publishes this replica until `forgetAfter`: a replica that stops publishing is shown as
   * lost (judged by the reader) long before the directory forgets it; `withdraw` at a clean
   * shutdown removes it at once.
   */
  private publish(): Promise<void> {
    const text = snapshotText(this.snapshot());
    const ttl = this.settings.replicas ? this.settings.replicas.forgetAfterMs : 0;
    const directory = this.directory!;
    return this.call('publish replica', () => directory.publish(this.self.id, text, ttl));
  }

  /** The directory, decided once the routines module has built its routines (undefined: this replica only). */
  private resolve(): ReplicaDirectory | undefined {
    if (this.clock || !this.registry.runtime) return this.directory;
    const runtime = this.replica.sharedRuntime;
    this.clock = this.registry.runtime.clock;
    if (this.settings.replicas && runtime?.coordinator.replicas) {
      this.directory = runtime.coordinator.replicas;
    }
    return this.directory;
  }

  private call<T>(what: string, call: () => Promise<T>): Promise<T> {
    return coordinatorCall(this.clock!, what, call);
  }
}

/** The directory's snapshots, with the time each has left when the directory says (optional). */
function listExpiring(
  directory: ReplicaDirectory,
): Promise<Array<{ snapshot: string; expiresInMs?: number }>> {
  if (directory.listExpiring) return directory.listExpiring();
  return directory.list().then((texts) => texts.map((snapshot) => ({ snapshot })));
}
