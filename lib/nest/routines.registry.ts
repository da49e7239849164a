// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured choices".
import { MESSAGES } from './nest.messages';
import { Injectable, Logger } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import {
  formatDuration,
  PeriodicRoutine,
  stopRoutines,
  systemClock,
  type Clock,
  type Coordinator,
  type Duration,
  type IntervalSpec,
  type ManagedRoutine,
  type RoutineEvent,
  type RoutineEventListener,
  type RoutineInfo,
  type RunOutcome,
  type StopReport,
} from '../core';
import type { BuiltRoutine } from './routine.factory';

/** A routine as the registry lists it: its info plus where it was declared. */
export interface RegisteredRoutineInfo extends RoutineInfo {
  enabled: boolean;
  /** `ClassName.method` or `ClassName`. */
  source: string;
}

/**
 * Lists the app's routines and steers them by name at run time.
 *
 * @example
 * @Controller('routines')
 * export class RoutinesController {
 *   constructor(private readonly routines: RoutinesRegistry) {}
 *   @Get() list() { return this.routines.list(); }
 *   @Post(':name/trigger') trigger(@Param('name') name: string) { return this.routines.trigger(name); }
 * }
 */
@Injectable()
export class RoutinesRegistry {
  private readonly routines = new Map<string, BuiltRoutine>();
  private readonly events = new Subject<RoutineEvent>();
  private readonly logger = new Logger('RoutinesModule');
  private started = false;
  private coordinator: Coordinator | undefined;
  private clock: Clock = systemClock;

  /** Every lifecycle event of every routine: started, run-started/succeeded/failed/skipped, restarted, failed, stopped... */
  readonly events$: Observable<RoutineEvent> = this.events.asObservable();

  /** Snapshots of all routines, in declaration order. */
  list(): RegisteredRoutineInfo[] {
    return [...this.routines.values()].map(describe);
  }

  /** A snapshot of one routine: state, lastRun, nextRunAt, counters. Throws if no routine has that name. */
  get(name: string): RegisteredRoutineInfo {
    return describe(this.entry(name));
  }

  has(name: string): boolean {
    return this.routines.has(name);
  }

  /**
   * Runs a periodic routine once, now, and resolves with the run's outcome (never rejects;
   * a failed run resolves with `status: 'failed'` and its error). Also how tests drive routines.
   */
  trigger(name: string): Promise<RunOutcome> {
    return this.periodic(name, 'trigger').trigger();
  }

  /** Suspends a periodic routine's ticks; runs in flight go on. */
  pause(name: string): void {
    this.periodic(name, 'pause').pause();
  }

  resume(name: string): void {
    this.periodic(name, 'resume').resume();
  }

  /** Changes a periodic routine's interval or cron at run time. */
  setInterval(name: string, interval: IntervalSpec): void {
    this.periodic(name, 'setInterval').setInterval(interval);
  }

  /**
   * Forgets that a cluster background routine completed, so that it runs once more under the
   * current version: on the next start of the app's replicas (a replica where it already
   * completed stays `completed` until it restarts). Resolves once the coordinator has
   * forgotten it.
   *
   * @example
   * await registry.resetCompletion('seed-demo-data'); // then roll the deployment
   */
  async resetCompletion(name: string): Promise<void> {
    const { routine } = this.entry(name);
    if (routine.kind !== 'background' || (routine as { scope?: string }).scope !== 'cluster') {
      throw new Error(MESSAGES.notClusterBackground(name));
    }
    await this.coordinator?.resetCompletion?.(name);
  }

  /** @internal Called by the module with the routines it built and their coordinator. */
  register(built: readonly BuiltRoutine[], coordinator?: Coordinator, clock?: Clock): void {
    this.clock = clock ?? systemClock;
    for (const entry of built) this.routines.set(entry.routine.name, entry);
    this.coordinator = coordinator;
  }

  /**
   * @internal Emits an event to `events$`. Its `observed` flag tells the routines whether
   * `events$` has a subscriber: without one they build no events (measured).
   */
  readonly emit: RoutineEventListener = Object.defineProperty(
    (event: RoutineEvent): void => this.events.next(event),
    'observed',
    { get: (): boolean => this.events.observed },
  );

  /** Starts every enabled routine; periodic ones share one time origin so that equal intervals share timers. */
  startAll(): void {
    if (this.started) return;
    this.started = true;
    const anchor = this.clock.now();
    const enabled = [...this.routines.values()].filter((entry) => entry.enabled);
    for (const { routine } of enabled) {
      if (routine instanceof PeriodicRoutine) routine.start(anchor);
      else routine.start();
    }
    if (enabled.length > 0) {
      const list = enabled.map(({ routine }) => `${routine.name} (${scheduleOf(routine)})`);
      this.logger.log(MESSAGES.started(enabled.length, list.join(', ')));
    }
  }

  /** Stops every routine concurrently and waits for them up to `timeout`. */
  async stopAll(timeout: Duration): Promise<StopReport> {
    const all = [...this.routines.values()].map(({ routine }) => routine);
    if (all.length === 0) return { timedOut: [], errors: [], durationMs: 0 };
    const inFlight = all.reduce((sum, routine) => sum + routine.info().inFlight, 0);
    const waiting = typeof timeout === 'number' ? formatDuration(timeout) : timeout;
    this.logger.log(MESSAGES.stopping(all.length, inFlight, waiting));
    const report = await stopRoutines(all, { timeout, logger: this.logger });
    if (report.timedOut.length === 0) this.logger.log(MESSAGES.stopped(report.durationMs));
    this.events.complete();
    return report;
  }

  private entry(name: string): BuiltRoutine {
    const entry = this.routines.get(name);
    if (entry) return entry;
    const known = [...this.routines.keys()].join(', ') || 'none';
    throw new Error(MESSAGES.noSuchRoutine(name, known));
  }

  private periodic(name: string, operation: string): PeriodicRoutine {
    const { routine } = this.entry(name);
    if (routine instanceof PeriodicRoutine) return routine;
    throw new Error(MESSAGES.periodicOnly(operation, name, routine.kind));
  }
}

function describe({ routine, enabled, declaration }: BuiltRoutine): RegisteredRoutineInfo {
  const info = routine.info();
  const state = !enabled && info.state === 'idle' ? 'disabled' : info.state;
  return { ...info, state, enabled, source: declaration.source };
}

function scheduleOf(routine: ManagedRoutine): string {
  // Not info(): that builds a whole snapshot, for every routine at startup (measured).
  const schedule = routine instanceof PeriodicRoutine ? routine.schedule : 'background';
  return (routine as { scope?: string }).scope === 'cluster' ? `${schedule}, cluster` : schedule;
}
