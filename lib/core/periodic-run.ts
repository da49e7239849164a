// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured choices".
import { getEventListeners } from 'node:events';
import type { Clock, TimerHandle } from './clock';
import type { HeldMarker } from '../cluster/cluster-overlap';
import { isAbortError, RoutineSupersededError, RoutineTimeoutError } from './errors';

const POLICY_CODES: readonly OverlapPolicy[] = [
  'skip',
  'buffer-one',
  'buffer-all',
  'cancel-other',
  'allow',
];
const POLICY_MASK = 7;
const SUPERSEDED = 8;
const BACKFILL = 16;
const CANCELLED = 32;
const CATCHUP = 64;
import type { PeriodicHandler } from './periodic-handler';
import type { OverlapPolicy, RunOutcome } from './routine';
import type { RunContext } from './run-context';
import { isThenable } from './thenable';

/** What a run needs from its routine. */
export interface RunHost {
  readonly name: string;
  readonly clock: Clock;
  readonly handler: PeriodicHandler;
  /** Whether the handler declares the signal parameter (see `takesSignal`): only then can it leave a listener. */
  readonly handlerTakesSignal: boolean;
  readonly timeoutMs: number | undefined;
  /** A due time on the schedule's scale, as a wall time. */
  wallOfDue(due: number): number;
  readonly timetable: { readonly onWallClock: boolean };
  /** The run exceeded its timeout; its signal aborts right after. */
  runTimedOut(timeoutMs: number): void;
  /** The handler returned or threw (synchronously), or its promise settled: called exactly once per run. */
  runEnded(run: PeriodicRun, failed: boolean, valueOrError: unknown): void;
}

/**
 * One run of a periodic handler: calls it with its own signal and context, arms its timeout,
 * and tells the routine once it has ended, however the handler behaves (throws, returns a
 * value, a promise, or a hand-made thenable that calls back twice).
 *
 * A routine keeps a spare run to reuse (see `PeriodicRoutine`), so a run allocates little:
 * its callbacks are made once per object, and its AbortController is kept for the next run
 * when its signal never aborted and no listener was left on it (an AbortSignal costs several
 * times a whole tick to create: measured). A handler that declares no parameter cannot listen
 * (see `takesSignal`); for one that declares the signal, Node's public `getEventListeners`
 * says whether it left a listener (measured: about 0.9 µs per run across 10,000 routines).
 * Runs in flight never share a signal, and a signal a handler left a listener on is never
 * handed out again, so listeners cannot pile up.
 */
export class PeriodicRun {
  id = 0;
  /** When the run was due, on the schedule's time scale (see `dueAt`). */
  due = NaN;
  /** Monotonic. */
  startedAt = NaN;
  reinvocations = 0;
  /** Interval functions: this run's end arms the next tick (see `Schedule.readsAfterRun`). */
  armsNextTick = false;
  /** Cluster scope: the run marker this run holds, if any (its context reads `previous` from it). */
  marker: HeldMarker | undefined = undefined;
  /** `trigger()`'s resolver. */
  done: ((outcome: RunOutcome) => void) | undefined = undefined;
  /**
   * What started or ended this run besides the schedule, in one small integer (measured: bytes
   * per routine, P5): the overlap policy that started it (low bits), whether a newer tick
   * superseded it, whether it is a backfill run.
   */
  private marks = 0;

  private controller: AbortController | undefined = undefined;
  /** The controller's signal, read once: the getter costs more than a whole tick (measured). */
  private runSignal: AbortSignal | undefined = undefined;
  /** Whether this object aborted its controller (nothing else can): cheaper than `signal.aborted`. */
  private aborted = false;
  private timeoutTimer: TimerHandle | undefined = undefined;
  /** Whether this object may be reused: not after a hand-made thenable, which may call back late. */
  reusable = true;
  // Bound methods, not arrow functions: no closure context between the promise and the run (measured).
  private readonly onFulfilled: (value: unknown) => void = this.fulfilled.bind(this);
  private readonly onRejected: (error: unknown) => void = this.rejected.bind(this);

  constructor(private readonly host: RunHost) {}

  /** Sets the policy that started this run (undefined: the schedule did), and whether it backfills or catches up. */
  mark(policy: OverlapPolicy | undefined, backfill = false, catchup = false): void {
    this.marks =
      (policy === undefined ? 0 : POLICY_CODES.indexOf(policy) + 1) |
      (backfill ? BACKFILL : 0) |
      (catchup ? CATCHUP : 0);
  }

  /** Whether `catchup` started it, for a due time that could not run on time. */
  get catchup(): boolean {
    return (this.marks & CATCHUP) !== 0;
  }

  /** A newer tick aborts this run (`cancel-other`): ending by that abort is `cancelled`. */
  supersede(): void {
    this.marks |= SUPERSEDED;
    this.abort(new RoutineSupersededError(this.host.name));
  }

  get superseded(): boolean {
    return (this.marks & SUPERSEDED) !== 0;
  }

  /** The caller stopped this run (a backfill's signal): ending by that abort is `cancelled`. */
  cancel(reason: unknown): void {
    this.marks |= CANCELLED;
    this.abort(reason);
  }

  /** Whether a newer tick or the caller aborted it: not the handler failing. */
  get cancelled(): boolean {
    return (this.marks & (SUPERSEDED | CANCELLED)) !== 0;
  }

  /** Whether `backfill()` started it. */
  get backfill(): boolean {
    return (this.marks & BACKFILL) !== 0;
  }

  /** The overlap policy that started or cancelled this run, if one did. */
  get policy(): OverlapPolicy | undefined {
    if (this.superseded) return 'cancel-other';
    const code = this.marks & POLICY_MASK;
    return code === 0 ? undefined : POLICY_CODES[code - 1];
  }

  /** When the run was due, as a wall time: what the context reports. */
  get dueAt(): number {
    return this.host.wallOfDue(this.due);
  }

  /** Whether `due` is a wall time already (cluster grid, cron). */
  get dueOnWall(): boolean {
    return this.host.timetable.onWallClock;
  }

  /** Calls the handler. The routine hears of the end through `runEnded`, at once for a value or a throw. */
  start(context: RunContext): void {
    const host = this.host;
    const signal = this.runSignal;
    if (signal === undefined || this.aborted || (host.handlerTakesSignal && hasListeners(signal))) {
      this.newSignal();
    }
    if (host.timeoutMs !== undefined) {
      this.timeoutTimer = host.clock.setTimer(this.startedAt + host.timeoutMs, () =>
        this.timeOut(),
      );
    }
    let result: unknown;
    let kind: ResultKind;
    try {
      result = host.handler.handle(this.runSignal!, context);
      kind = resultKind(result); // reads `then`, which may be a throwing getter
    } catch (error) {
      return this.end(true, error);
    }
    if (kind === ResultKind.Value) return this.end(false, result);
    // A native promise calls exactly one of its callbacks, once: the object's own will do.
    if (kind === ResultKind.NativePromise) {
      (result as Promise<unknown>).then(this.onFulfilled, this.onRejected);
      return;
    }
    this.followThenable(result as PromiseLike<unknown>);
  }

  /** Aborts the run's signal (shutdown); its timeout has nothing left to do. */
  abort(reason: unknown): void {
    this.clearTimeout();
    this.aborted = true;
    this.controller?.abort(reason);
  }

  /** Whether the run ended because its signal aborted with `reason`, or threw an AbortError once aborted. */
  endedByAbort(valueOrError: unknown): boolean {
    return this.aborted && (valueOrError === this.runSignal!.reason || isAbortError(valueOrError));
  }

  /** A fresh controller: a plain AbortController, its signal read once. */
  private newSignal(): void {
    const controller = new AbortController();
    this.controller = controller;
    this.runSignal = controller.signal;
    this.aborted = false;
  }

  /** A hand-made thenable may call both callbacks, or one twice, or throw after calling one. */
  private followThenable(thenable: PromiseLike<unknown>): void {
    this.reusable = false;
    let settled = false;
    const settle = (failed: boolean, valueOrError: unknown): void => {
      if (settled) return;
      settled = true;
      this.end(failed, valueOrError);
    };
    try {
      thenable.then(
        (value) => settle(false, value),
        (error) => settle(true, error),
      );
    } catch (error) {
      settle(true, error);
    }
  }

  private fulfilled(value: unknown): void {
    this.end(false, value);
  }

  private rejected(error: unknown): void {
    this.end(true, error);
  }

  private end(failed: boolean, valueOrError: unknown): void {
    this.clearTimeout();
    this.host.runEnded(this, failed, valueOrError);
  }

  private timeOut(): void {
    this.timeoutTimer = undefined;
    const timeoutMs = this.host.timeoutMs!;
    this.host.runTimedOut(timeoutMs);
    this.aborted = true;
    this.controller!.abort(new RoutineTimeoutError(this.host.name, timeoutMs));
  }

  private clearTimeout(): void {
    if (this.timeoutTimer === undefined) return;
    this.host.clock.clearTimer(this.timeoutTimer);
    this.timeoutTimer = undefined;
  }
}

const enum ResultKind {
  Value,
  NativePromise,
  OtherThenable,
}

const nativeThen = Promise.prototype.then;

/** What a handler returned; reads `then`, which may throw. */
function resultKind(value: unknown): ResultKind {
  if (value instanceof Promise && value.then === nativeThen) return ResultKind.NativePromise;
  return isThenable(value) ? ResultKind.OtherThenable : ResultKind.Value;
}

/**
 * Whether a handler left an abort listener on the signal (`addEventListener`, `onabort`,
 * `events.addAbortListener`, Node's own helpers): then it is not handed to another run. Read
 * once per run through Node's public `getEventListeners` (measured: see bench/README.md,
 * "Issue 24: no platform internals").
 */
function hasListeners(signal: AbortSignal): boolean {
  return getEventListeners(signal, 'abort').length > 0;
}
