import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import {
  describeError,
  type BackfillOptions,
  type BackfillReport,
  type IntervalSpec,
  type PauseInfo,
  type TriggerOptions,
} from '../core';
import { RoutinesRegistry } from '../nest/routines.registry';
import type {
  RegisteredRoutineInfo,
  RegisteredRunOutcome,
} from '../nest/interfaces/registered-routine.interface';
import { RoutineActionError } from '../nest/routines.errors';
import { checkPauseInfo } from '../nest/registry/pause-info';
import { MESSAGES as NEST_MESSAGES } from '../nest/nest.messages';
import { ControlEnforcer } from './control-enforcer';
import { controlKey, indexControls, splitKey } from './control-keys';
import { MESSAGES } from './controls.messages';
import { CONTROLS_SETTINGS, type ControlsSettings } from './controls.settings';
import { coordinatorCall, RepeatedCall } from './coordinator-calls';
import type {
  ControlResult,
  RoutineControl,
  RoutineControls,
} from './interfaces/routine-control.interface';
import { scheduleSpecOf } from './schedule-spec';
import { storedControlsOf, type StoredControls } from './stored-controls';
import { ThisReplica } from './this-replica';

/**
 * Operator controls that hold on every replica. A pause or an interval set on a cluster routine
 * from any replica is stored by the coordinator; each replica reads the controls every
 * `pollEveryMs` and applies them (also one that starts later, before its routines' first
 * tick), and writes them back if the coordinator lost them. Instance routines, and every
 * routine without a shared coordinator, are steered on the replica that receives the call.
 */
@Injectable()
// A registry plugin (`registry.use(this)`, checked there): not declared as implementing the
// internal RegistryPlugin, which the published declarations leave out.
export class ClusterControls implements OnModuleDestroy {
  // The dashboard's name: these logs were the dashboard's, and operators search for them.
  private readonly logger = new Logger('RoutinesDashboard');
  private readonly enforcer: ControlEnforcer;
  /** The coordinator's controls, once known (undefined: not shared, this replica only). */
  private store: StoredControls | undefined;
  private resolved = false;
  /** The controls last read (key → JSON as stored), to see what changed and to restore a lost set. */
  private seen = new Map<string, string>();
  /** The same, parsed once and grouped by routine: what the page and every poll read. */
  private byRoutine = new Map<string, RoutineControls>();
  private polling: RepeatedCall | undefined;
  private prepared: Promise<void> | undefined;
  /** Backfills started here, by routine: a cancel stops them. */
  private readonly backfills = new Map<string, Set<AbortController>>();
  /**
   * Whether the controls have been read since boot. Until they have, this replica cannot know
   * whether an operator paused its cluster routines: they are held (paused) rather than run.
   */
  private read = false;
  /** Cluster routines held until the first read, by name. */
  private readonly held = new Set<string>();
  private closed = false;

  constructor(
    private readonly registry: RoutinesRegistry,
    private readonly replica: ThisReplica,
    @Inject(CONTROLS_SETTINGS) private readonly settings: ControlsSettings,
  ) {
    this.enforcer = new ControlEnforcer(registry, this.logger);
    registry.use(this);
  }

  /** Whether controls of cluster routines are kept by the coordinator for every replica. */
  get shared(): boolean {
    return this.resolve() !== undefined;
  }

  /**
   * @internal Before routines first start: reads the controls, so a paused routine never ticks.
   * Once: the replica directory awaits it too, to publish what the controls made of the routines.
   */
  prepare(): Promise<void> {
    this.prepared ??= this.startPolling();
    return this.prepared;
  }

  /** @internal Right after routines start (bootstrap, add, start, restart): the controls kept for them. */
  started(names: readonly string[]): void {
    if (!this.read && this.store) return this.hold(names);
    for (const name of names) if (this.byRoutine.has(name)) this.enforce(name);
  }

  /** The controls last read from the coordinator (or set here), by routine. */
  controls(): ReadonlyMap<string, RoutineControls> {
    return this.byRoutine;
  }

  /** Runs a periodic routine once, here, and resolves once the run has ended. */
  async trigger(
    name: string,
    options?: TriggerOptions,
  ): Promise<ControlResult & { outcome: RegisteredRunOutcome }> {
    const outcome = await this.registry.trigger(name, options);
    return { ...this.result(name, 'trigger', 'replica'), outcome };
  }

  /**
   * Runs a periodic routine once, here, without waiting for the run: `runId` when it started at
   * once (the id its history record will have), and the outcome to come. Throws at once for an
   * unknown routine; a background one's outcome rejects at once (`RoutineActionError`).
   */
  startTrigger(
    name: string,
    options: TriggerOptions = {},
  ): ControlResult & { runId?: number; outcome: Promise<RegisteredRunOutcome> } {
    this.registry.get(name); // an unknown name throws here, not in the promise
    let runId: number | undefined;
    const outcome = this.registry.trigger(name, {
      ...options,
      started: (id) => {
        runId = id;
        options.started?.(id);
      },
    });
    // A trigger refused at once (a background routine) rejects: the caller hears it then.
    outcome.catch(() => undefined);
    const result = { ...this.result(name, 'trigger', 'replica'), outcome };
    // The registry calls `started` synchronously for a run that starts now.
    return runId === undefined ? result : { ...result, runId };
  }

  /**
   * Runs the due times of a past range here, oldest first (see `RoutinesRegistry.backfill`),
   * without waiting: the number of due times, and the report to come. A cancel of the routine
   * stops it. A bad range throws.
   */
  async startBackfill(
    name: string,
    options: BackfillOptions,
  ): Promise<ControlResult & { dueTimes: number; report: Promise<BackfillReport> }> {
    const controller = new AbortController();
    let dueTimes: number | undefined;
    const report = this.registry.backfill(name, {
      ...options,
      signal: controller.signal,
      planned: (count) => (dueTimes = count),
    });
    if (dueTimes === undefined) await report; // refused: its error is thrown here
    const backfills = this.backfills.get(name) ?? new Set<AbortController>();
    this.backfills.set(name, backfills.add(controller));
    const settled = report.finally(() => backfills.delete(controller));
    // Nobody may wait for it: its end is logged, as the run's would be.
    settled.then(
      (done) => this.logger.log(MESSAGES.backfillEnded(name, done)),
      (error: unknown) =>
        this.logger.warn(MESSAGES.backfillFailed(name, describeError(error).message)),
    );
    return { ...this.result(name, 'backfill', 'replica'), dueTimes: dueTimes!, report: settled };
  }

  /**
   * Cancels a periodic routine's runs in flight here, and stops its backfills started here:
   * how many runs were told (0: none in flight).
   */
  cancel(name: string): ControlResult & { cancelled: number } {
    const cancelled = this.registry.cancel(name);
    for (const backfill of this.backfills.get(name) ?? []) backfill.abort();
    return { ...this.result(name, 'cancel', 'replica'), cancelled };
  }

  /** Starts, stops or restarts a routine here (see `RoutinesRegistry.start`), once done. */
  async lifecycle(name: string, action: 'start' | 'stop' | 'restart'): Promise<ControlResult> {
    await this.registry[action](name);
    return this.result(name, action, 'replica');
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
    if (!this.isShared(info))
      return { ...this.result(name, 'interval', 'replica'), from: before, to: interval };
    const control = { interval, at: this.replica.wallNow(), by: this.replica.self.id };
    try {
      await this.keep(controlKey('interval', name), control);
    } catch (error) {
      // Not stored, so no other replica follows: back to the grid they all share.
      if (before !== undefined) this.registry.setInterval(name, before);
      throw error;
    }
    this.enforcer.intervalApplied(name, info.schedule ?? '');
    return { ...this.result(name, 'interval', 'cluster'), from: before, to: interval };
  }

  onModuleDestroy(): void {
    this.closed = true;
    this.polling?.stop();
  }

  private async startPolling(): Promise<void> {
    const store = this.resolve();
    if (!store) return;
    const polling = new RepeatedCall(
      this.replica.sharedRuntime!.clock,
      this.settings ? this.settings.pollEveryMs : 0,
      () => this.pollControls(),
      {
        failed: (message) => this.logger.warn(MESSAGES.pollFailed(message)),
        back: () => this.logger.log(MESSAGES.pollBack),
      },
    );
    // The engine being down must not keep the app from starting: its routines fail closed on
    // their own, and the controls are read again at the next poll.
    await this.pollControls().catch((error: unknown) => {
      polling.failing = true;
      this.logger.warn(MESSAGES.pollFailed(describeError(error).message));
    });
    if (this.closed) return;
    this.polling = polling;
    polling.start(false);
  }

  /** The coordinator's controls, decided once the routines module has built its routines. */
  private resolve(): StoredControls | undefined {
    if (this.resolved) return this.store;
    if (!this.registry.runtime) return undefined;
    this.resolved = true;
    const runtime = this.replica.sharedRuntime;
    if (this.settings && runtime) this.store = storedControlsOf(runtime.coordinator);
    return this.store;
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
    const control: RoutineControl = {
      paused,
      at: this.replica.wallNow(),
      by: this.replica.self.id,
    };
    if (paused && note?.note) control.note = note.note;
    if (paused && note?.by) control.operator = note.by;
    // Stored first: if the coordinator refuses, nothing changed anywhere, and the caller hears it.
    await this.keep(controlKey('pause', name), control);
    this.enforcer.applyPause(name, paused, info, control);
    return this.result(name, action, 'cluster');
  }

  private isShared(info: RegisteredRoutineInfo): boolean {
    return info.scope === 'cluster' && this.shared;
  }

  private async keep(key: string, control: RoutineControl): Promise<void> {
    const text = JSON.stringify(control);
    await this.call('store a control', (store) => store.set(key, text));
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
    const replica = this.replica.self;
    this.logger.log(MESSAGES.controlled(action, name, appliesTo, replica));
    return { routine: name, action, appliesTo, replica, state };
  }

  /** Reads the controls, applies what changed, and restores a set the coordinator lost. */
  private async pollControls(): Promise<void> {
    const fresh = await this.call('read controls', (store) => store.all());
    if (fresh.size === 0 && this.seen.size > 0) return this.restoreLost();
    const before = this.seen;
    this.remember(fresh);
    if (!this.read) this.release();
    const pauseChanged = new Set<string>();
    for (const [key, text] of fresh) {
      if (before.get(key) === text) continue;
      const [kind, name] = splitKey(key);
      if (kind === 'pause' && name) pauseChanged.add(name);
      if (kind === 'interval' && name) this.enforcer.intervalChanged(name);
    }
    for (const name of this.byRoutine.keys()) {
      if (this.registry.has(name)) this.enforce(name, pauseChanged.has(name));
    }
  }

  /**
   * Fails closed: a cluster periodic routine that starts before the controls could be read is
   * paused until they are, since one paused on every replica must not run here in between. The
   * engine being unreachable then holds back nothing that could run: its claims fail too.
   */
  private hold(names: readonly string[]): void {
    const holding = names.filter((name) => {
      const info = this.registry.get(name);
      return info.scope === 'cluster' && info.kind === 'periodic' && info.state === 'running';
    });
    for (const name of holding) {
      this.enforcer.applyPause(name, true, this.registry.get(name), {
        paused: true,
        at: this.replica.wallNow(),
        by: this.replica.self.id,
        note: MESSAGES.heldNote,
      });
      this.held.add(name);
    }
    if (holding.length > 0) this.logger.warn(MESSAGES.held(holding));
  }

  /** The controls were read: the held routines resume, unless a pause is kept for them. */
  private release(): void {
    this.read = true;
    const released = [...this.held].filter((name) => this.registry.has(name));
    this.held.clear();
    for (const name of released) {
      const info = this.registry.get(name);
      const kept = this.byRoutine.get(name)?.pause?.paused === true;
      if (!kept && info.paused?.note === MESSAGES.heldNote) {
        this.enforcer.applyPause(name, false, info);
      }
    }
    if (released.length > 0) this.logger.log(MESSAGES.released(released));
  }

  /**
   * Controls are never deleted, only overwritten: an empty set after a non-empty one means the
   * engine lost them (flushed, restored without them). Every replica still knows them: write
   * them back rather than let paused routines run again.
   */
  private async restoreLost(): Promise<void> {
    this.logger.warn(MESSAGES.controlsLost(this.seen.size));
    for (const [key, text] of this.seen) {
      await this.call('restore a control', (store) => store.set(key, text));
    }
  }

  private enforce(name: string, pauseChanged = false): void {
    this.enforcer.enforce(name, this.byRoutine.get(name) ?? {}, pauseChanged);
  }

  private call<T>(what: string, call: (store: StoredControls) => Promise<T>): Promise<T> {
    const store = this.store!;
    return coordinatorCall(this.replica.sharedRuntime!.clock, what, () => call(store));
  }
}
