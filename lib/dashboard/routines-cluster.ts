import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import {
  describeError,
  isCronSpec,
  type Clock,
  type IntervalSpec,
  type ReplicaDirectory,
  type StoredControls,
  type TimerHandle,
  type PauseInfo,
} from '../core';
import { withDeadline } from '../core/deadline';
import { RoutinesRegistry, type RegisteredRoutineInfo } from '../nest/routines.registry';
import { RoutineActionError } from '../nest/routines.errors';
import { checkPauseInfo } from '../nest/routines.registry';
import { MESSAGES as NEST_MESSAGES } from '../nest/nest.messages';
import { DASHBOARD_SETTINGS, type ResolvedDashboardSettings } from './dashboard.settings';
import { MESSAGES } from './dashboard.messages';
import {
  parseSnapshot,
  replicaIdentity,
  replicaRoutine,
  type ReplicaIdentity,
  type ReplicaSnapshot,
} from './replica-snapshot';

/** A control an operator set on a routine, kept by the coordinator for every replica. */
export interface RoutineControl {
  /** `pause`: `paused` says which way; `interval`: the schedule set. */
  paused?: boolean;
  interval?: IntervalSpec;
  /** When it was set (wall-clock ms) and from which replica. */
  at: number;
  by: string;
  /** `pause`: why, and who (an operator's name), if given. */
  note?: string;
  operator?: string;
}

/** What a control action did, and where. */
export interface ControlResult {
  routine: string;
  action: 'trigger' | 'pause' | 'resume' | 'interval';
  /**
   * `cluster`: kept by the coordinator and applied by every replica (a cluster routine);
   * `replica`: applied on `replica` only (an instance routine, or no shared coordinator).
   */
  appliesTo: 'cluster' | 'replica';
  replica: ReplicaIdentity;
  /** The routine's state here once applied. */
  state: string;
}

/** The replicas as the page shows them: this one always, the others when the coordinator answered. */
export interface ReplicasView {
  replicas: ReplicaSnapshot[];
  /** Why the others are missing: the coordinator failed, or cannot share (the in-memory one in several processes). */
  problem?: string;
}

/** Deadline of one call to the coordinator's directory: the page and the loops must not hang on it. */
const CALL_DEADLINE_MS = 2000;

const pauseKey = (name: string): string => `pause:${name}`;
const intervalKey = (name: string): string => `interval:${name}`;

/**
 * Every replica on one page, and controls that hold on all of them. Each replica publishes a
 * snapshot of its routines every `publishEvery` with an expiry, and reads the controls every
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
  private identity: ReplicaIdentity | undefined;
  private clock: Clock | undefined;
  private directory: ReplicaDirectory | undefined;
  /** The coordinator's stored controls: set together with `directory`, and only then. */
  private storedControls: StoredControls | undefined;
  /** The controls last read (key → JSON as stored), to see what changed and to restore a lost set. */
  private seen = new Map<string, string>();
  /** The same, parsed once and grouped by routine: what the page and every poll read. */
  private byRoutine = new Map<string, RoutineControls>();
  /** Per routine, the schedule an interval control gave it: a rebuilt routine that lost it gets it again. */
  private readonly appliedSchedules = new Map<string, string>();
  private readonly timers = new Set<TimerHandle>();
  private closed = false;
  private failing = { publish: false, poll: false };

  constructor(
    private readonly registry: RoutinesRegistry,
    @Inject(DASHBOARD_SETTINGS) private readonly settings: ResolvedDashboardSettings,
  ) {
    registry.use(this);
  }

  /** This replica. */
  get self(): ReplicaIdentity {
    return this.ensureIdentity();
  }

  /** Whether replicas share a directory (a Redis or PostgreSQL coordinator, and `replicas` not false). */
  get shared(): boolean {
    this.ensureIdentity();
    return this.directory !== undefined;
  }

  /** @internal Before routines first start: reads the controls, so a paused routine never ticks. */
  async prepare(): Promise<void> {
    this.ensureIdentity();
    if (!this.directory) return;
    // The engine being down must not keep the app from starting: its routines fail closed on
    // their own, and the controls are read again at the next poll.
    await this.pollControls().catch((error: unknown) => {
      this.failing.poll = true;
      this.logger.warn(MESSAGES.loopFailed('poll', describeError(error).message));
    });
    this.publishEvery();
    this.pollEvery();
  }

  /** @internal Right after routines start (bootstrap, add, start, restart): the controls kept for them. */
  started(names: readonly string[]): void {
    for (const name of names) if (this.byRoutine.has(name)) this.enforce(name);
  }

  /** Live replicas, this one first with a fresh snapshot (of `local`, when the caller has just listed them). */
  async replicas(local?: RegisteredRoutineInfo[]): Promise<ReplicasView> {
    const self = this.snapshot(local);
    if (!this.directory) return { replicas: [self] };
    try {
      const texts = await this.call('list replicas', () => this.directory!.list());
      const others = texts
        .map(parseSnapshot)
        .filter((snapshot): snapshot is ReplicaSnapshot => !!snapshot && snapshot.id !== self.id)
        .sort((a, b) => a.host.localeCompare(b.host) || a.pid - b.pid);
      return { replicas: [self, ...others] };
    } catch (error) {
      return { replicas: [self], problem: MESSAGES.directoryFailed(describeError(error).message) };
    }
  }

  /** The controls last read from the coordinator (or set here), by routine. */
  controls(): ReadonlyMap<string, RoutineControls> {
    return this.byRoutine;
  }

  /** Runs a periodic routine once, here. */
  async trigger(name: string): Promise<ControlResult & { outcome: unknown }> {
    const outcome = await this.registry.trigger(name);
    return { ...this.result(name, 'trigger', 'replica'), outcome };
  }

  /** Pauses a routine: on every replica for a cluster routine (kept across restarts), here for an instance one. */
  pause(name: string, info?: PauseInfo): Promise<ControlResult> {
    return this.setPaused(name, true, info);
  }

  /** Resumes a routine paused with {@link pause}: everywhere for a cluster routine. */
  resume(name: string): Promise<ControlResult> {
    return this.setPaused(name, false);
  }

  /** Sets a periodic routine's interval or cron: on every replica for a cluster routine, here for an instance one. */
  async setInterval(name: string, interval: IntervalSpec): Promise<ControlResult> {
    const before = scheduleSpecOf(this.registry.get(name));
    this.registry.setInterval(name, interval); // checks the value: a RangeError changes nothing
    const info = this.registry.get(name);
    if (!this.isShared(info)) return this.result(name, 'interval', 'replica');
    try {
      await this.store(intervalKey(name), { interval, at: this.wallNow(), by: this.self.id });
    } catch (error) {
      // Not stored, so no other replica follows: back to the grid they all share.
      if (before !== undefined) this.registry.setInterval(name, before);
      throw error;
    }
    this.appliedSchedules.set(name, info.schedule ?? '');
    return this.result(name, 'interval', 'cluster');
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) this.clock?.clearTimer(timer);
    this.timers.clear();
    if (!this.directory || !this.identity) return;
    const id = this.identity.id;
    await this.call('withdraw replica', () => this.directory!.withdraw(id)).catch(() => undefined);
  }

  private async setPaused(name: string, paused: boolean, note?: PauseInfo): Promise<ControlResult> {
    const info = this.registry.get(name);
    const action = paused ? 'pause' : 'resume';
    if (info.kind !== 'periodic') {
      throw new RoutineActionError(name, action, NEST_MESSAGES.periodicOnly(action, name));
    }
    if (!this.isShared(info)) {
      if (paused) this.registry.pause(name, note);
      else this.registry.resume(name);
      return this.result(name, action, 'replica');
    }
    checkPauseInfo(name, note); // a RangeError stores nothing
    const control: RoutineControl = { paused, at: this.wallNow(), by: this.self.id };
    if (paused && note?.note) control.note = note.note;
    if (paused && note?.by) control.operator = note.by;
    // Stored first: if the coordinator refuses, nothing changed anywhere, and the caller hears it.
    await this.store(pauseKey(name), control);
    this.applyPause(name, paused, info, control);
    return this.result(name, action, 'cluster');
  }

  private isShared(info: RegisteredRoutineInfo): boolean {
    return info.scope === 'cluster' && this.shared;
  }

  private async store(key: string, control: RoutineControl): Promise<void> {
    const text = JSON.stringify(control);
    await this.call('store a control', () => this.storedControls!.set(key, text));
    this.remember(new Map(this.seen).set(key, text));
  }

  private remember(seen: Map<string, string>): void {
    this.seen = seen;
    this.byRoutine = indexControls(seen);
  }

  private result(
    name: string,
    action: ControlResult['action'],
    appliesTo: ControlResult['appliesTo'],
  ): ControlResult {
    const state = this.registry.get(name).state;
    this.logger.log(MESSAGES.controlled(action, name, appliesTo, this.self));
    return { routine: name, action, appliesTo, replica: this.self, state };
  }

  private snapshot(local = this.registry.list()): ReplicaSnapshot {
    return { ...this.self, publishedAt: this.wallNow(), routines: local.map(replicaRoutine) };
  }

  /** Known once the routines module has built its routines (the coordinator, clock and version). */
  private ensureIdentity(): ReplicaIdentity {
    if (this.identity) return this.identity;
    const runtime = this.registry.runtime;
    if (!runtime) return replicaIdentity(Date.now(), undefined);
    this.clock = runtime.clock;
    const { replicas: directory, controls } = runtime.coordinator;
    // The in-memory coordinator's directory is per process: one replica, nothing to publish.
    const sharedEngine = runtime.coordinator.kind !== 'memory';
    if (this.settings.replicas && sharedEngine && directory && controls) {
      this.directory = directory;
      this.storedControls = controls;
    }
    this.identity = replicaIdentity(this.clock.wallNow(), runtime.version);
    return this.identity;
  }

  private wallNow(): number {
    return this.clock?.wallNow() ?? Date.now();
  }

  private publishEvery(): void {
    const publish = async (): Promise<void> => {
      const text = JSON.stringify(this.snapshot());
      const ttl = this.settings.replicas ? this.settings.replicas.expireAfterMs : 0;
      await this.call('publish replica', () => this.directory!.publish(this.self.id, text, ttl));
    };
    this.loop(
      'publish',
      this.settings.replicas ? this.settings.replicas.publishEveryMs : 0,
      publish,
    );
  }

  private pollEvery(): void {
    const every = this.settings.replicas ? this.settings.replicas.pollControlsMs : 0;
    this.loop('poll', every, () => this.pollControls());
  }

  /** Runs `work` now and every `everyMs`, one at a time; a failure is logged once per outage. */
  private loop(what: 'publish' | 'poll', everyMs: number, work: () => Promise<void>): void {
    const clock = this.clock!;
    const run = (): void => {
      if (this.closed) return;
      work()
        .then(
          () => {
            if (this.failing[what]) this.logger.log(MESSAGES.directoryBack(what));
            this.failing[what] = false;
          },
          (error: unknown) => {
            if (!this.failing[what]) {
              this.logger.warn(MESSAGES.loopFailed(what, describeError(error).message));
            }
            this.failing[what] = true;
          },
        )
        .finally(() => schedule());
    };
    const schedule = (): void => {
      if (this.closed) return;
      const timer = clock.setTimer(clock.now() + everyMs, () => {
        this.timers.delete(timer);
        run();
      });
      this.timers.add(timer);
    };
    if (what === 'publish') run();
    else schedule();
  }

  /** Reads the controls, applies what changed, and restores a set the coordinator lost. */
  private async pollControls(): Promise<void> {
    const fresh = await this.call('read controls', () => this.storedControls!.all());
    if (fresh.size === 0 && this.seen.size > 0) return this.restoreLost();
    const before = this.seen;
    this.remember(fresh);
    const pauseChanged = new Set<string>();
    for (const [key, text] of fresh) {
      if (before.get(key) === text) continue;
      const [kind, name] = splitKey(key);
      if (kind === 'pause' && name) pauseChanged.add(name);
      if (kind === 'interval' && name) this.appliedSchedules.delete(name);
    }
    for (const name of this.byRoutine.keys()) {
      if (this.registry.has(name)) this.enforce(name, pauseChanged.has(name));
    }
  }

  /**
   * Controls are never deleted, only overwritten: an empty set after a non-empty one means the
   * engine lost them (flushed, restored without them). Every replica still knows them: write
   * them back rather than let paused routines run again.
   */
  private async restoreLost(): Promise<void> {
    this.logger.warn(MESSAGES.controlsLost(this.seen.size));
    for (const [key, text] of this.seen) {
      await this.call('restore a control', () => this.storedControls!.set(key, text));
    }
  }

  /**
   * Holds a cluster routine to its controls: paused stays paused, an interval set stays set; a
   * pause that just changed to resumed resumes it.
   */
  private enforce(name: string, pauseChanged = false): void {
    const { pause, interval } = this.byRoutine.get(name) ?? {};
    const info = this.registry.get(name);
    if (info.scope !== 'cluster' || info.kind !== 'periodic') return;
    if (interval?.interval !== undefined && info.schedule !== this.appliedSchedules.get(name)) {
      this.attempt(name, 'interval', () => {
        if (isCronSpec(interval.interval) === info.schedule?.startsWith('cron')) {
          this.registry.setInterval(name, interval.interval!);
          this.appliedSchedules.set(name, this.registry.get(name).schedule ?? '');
        }
      });
    }
    if (pause?.paused || pauseChanged) this.applyPause(name, pause?.paused === true, info, pause);
  }

  private applyPause(
    name: string,
    paused: boolean,
    { state, scope, paused: here }: RegisteredRoutineInfo,
    control?: RoutineControl,
  ): void {
    if (scope !== 'cluster') return;
    const note: PauseInfo = { note: control?.note, by: control?.operator };
    const noteChanged = here !== undefined && (here.note !== note.note || here.by !== note.by);
    if (paused && (state === 'running' || (state === 'paused' && noteChanged)))
      this.attempt(name, 'pause', () => this.registry.pause(name, note));
    if (!paused && state === 'paused')
      this.attempt(name, 'resume', () => this.registry.resume(name));
  }

  private attempt(name: string, action: string, apply: () => void): void {
    try {
      apply();
    } catch (error) {
      this.logger.warn(MESSAGES.applyFailed(action, name, describeError(error).message));
    }
  }

  private call<T>(what: string, call: () => Promise<T>): Promise<T> {
    const clock = this.clock!;
    return withDeadline(clock, CALL_DEADLINE_MS, `the dashboard's ${what}`, call);
  }
}

/** A periodic routine's schedule as `setInterval` takes it, read back from its snapshot. */
export function scheduleSpecOf(info: {
  schedule?: string;
  intervalMs?: number;
}): IntervalSpec | undefined {
  const cron = /^cron (.+?)(?: \((.+)\))?$/.exec(info.schedule ?? '');
  if (cron) return cron[2] ? { cron: cron[1], timeZone: cron[2] } : { cron: cron[1] };
  return info.intervalMs;
}

/** A routine's controls: the pause and the interval set on it, if any. */
export interface RoutineControls {
  pause?: RoutineControl;
  interval?: RoutineControl;
}

function indexControls(seen: ReadonlyMap<string, string>): Map<string, RoutineControls> {
  const byRoutine = new Map<string, RoutineControls>();
  for (const [key, text] of seen) {
    const control = parseControl(text);
    const [kind, name] = splitKey(key);
    if (!control || !name || (kind !== 'pause' && kind !== 'interval')) continue;
    byRoutine.set(name, { ...byRoutine.get(name), [kind]: control });
  }
  return byRoutine;
}

function splitKey(key: string): [string, string | undefined] {
  const colon = key.indexOf(':');
  return colon < 0 ? [key, undefined] : [key.slice(0, colon), key.slice(colon + 1)];
}

function parseControl(text: string): RoutineControl | undefined {
  try {
    const value = JSON.parse(text) as RoutineControl;
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
