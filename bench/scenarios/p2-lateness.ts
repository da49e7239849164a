/**
 * P2: how late ticks start, and whether one routine drifts.
 *
 * mode 'lateness': N routines at `intervalMs` for `durationMs`; every handler records when
 * it started. Ours (`@Periodic` in a Nest app) is measured against its grid
 * (anchor + n·interval); raw `setInterval` against its expected start + n·interval.
 * Ticks due in the first `warmupMs` are left out. For context, raw's per-tick lateness
 * against its own previous start + interval (what Node re-arms from) is reported too.
 *
 * mode 'drift': one routine, `ticks` ticks at `intervalMs`: its lateness at the last tick
 * and the growth from the first to the last tenth of the ticks.
 *
 * Times come from `performance.timeOrigin + performance.now()`: the wall clock's scale,
 * as the library's due times (Date.now()), with sub-millisecond precision.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { RoutinesRegistry } from '../../lib';
import { systemClock } from '../../lib/core';
import { buildAppModule } from '../fixtures';
import { main, median, percentileSorted, preciseNow, scenarioParams, sleep } from '../harness';

export interface P2Params {
  mode: 'lateness' | 'drift';
  variant: 'ours' | 'raw';
  count: number;
  intervalMs: number;
  /** Lateness mode: how long to record. Drift mode: derived from `ticks`. */
  durationMs: number;
  warmupMs: number;
  ticks: number;
}

/**
 * How early a start may be and still count as that grid point: libuv keeps time in whole
 * milliseconds, so a timer armed for a fractional due time can fire up to about 1.5 ms before
 * it on the precise clock.
 */
const EARLY_MS = 2;

interface Track {
  /** Start times of the handler, in call order. */
  starts: Float64Array;
  calls: number;
  /** Raw: when setInterval was called. Ours: when the first run was due. */
  origin: number;
}

main(async () => {
  const params = scenarioParams<P2Params>();
  const { variant, count, intervalMs } = params;
  const capacity =
    params.mode === 'drift' ? params.ticks + 4 : Math.ceil(params.durationMs / intervalMs) + 8;
  const tracks: Track[] = [];
  for (let i = 0; i < count; i++)
    tracks.push({ starts: new Float64Array(capacity), calls: 0, origin: 0 });
  const record = (track: Track): void => {
    const now = preciseNow();
    if (track.calls < capacity) track.starts[track.calls] = now;
    track.calls++;
  };
  const wanted = params.mode === 'drift' ? params.ticks : Infinity;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));

  let skipped = 0;
  let readDues: () => void = () => undefined;
  if (variant === 'raw') {
    for (const track of tracks) {
      const fn = async (): Promise<void> => {
        record(track);
        if (track.calls >= wanted) done();
      };
      track.origin = preciseNow();
      setInterval(async () => {
        try {
          await fn();
        } catch {
          // as any scheduler that awaits its handler
        }
      }, intervalMs);
    }
  } else {
    const AppModule = buildAppModule({
      scheduler: 'ours',
      providers: count,
      intervalMs,
      makeRun: (index) =>
        async function run(): Promise<void> {
          const track = tracks[index];
          record(track);
          if (track.calls >= wanted) done();
        },
    });
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    const registry = app.get(RoutinesRegistry);
    // A run of ours is due at the latest grid point (lastRun.dueAt + n·interval) at or
    // before the moment its tick fired: a tick late by more than an interval is skipped
    // and the latest one runs instead. Starts up to EARLY_MS before a grid point (timer
    // granularity, clock rounding) count as that point, with a negative lateness.
    // `dueAt` is reported as a wall time (Date.now()'s scale, converted from the monotonic
    // clock the routine runs on, rounded up to a millisecond later); the starts are recorded
    // with `preciseNow()`. Converted back with the clock's own offsets, so the rounding is not
    // counted as earliness or lateness.
    readDues = () => {
      const offset = systemClock.wallOf(0) - (preciseNow() - systemClock.now());
      for (let i = 0; i < count; i++) {
        const info = registry.get(`Provider${i}.run`);
        skipped += info.counters.skipped;
        tracks[i].origin = info.lastRun!.dueAt - offset;
      }
    };
  }
  const dueOf = (track: Track, k: number): number =>
    variant === 'raw'
      ? track.origin + (k + 1) * intervalMs
      : track.origin +
        Math.floor((track.starts[k] + EARLY_MS - track.origin) / intervalMs) * intervalMs;

  if (params.mode === 'drift') {
    await finished;
  } else {
    await sleep(params.durationMs);
  }
  readDues();

  const firstCounted = preciseNow() - params.durationMs + params.warmupMs; // lateness mode only
  const lateness: number[] = [];
  const perTick: number[] = [];
  for (const track of tracks) {
    const n = Math.min(track.calls, capacity);
    for (let k = 0; k < n; k++) {
      const due = dueOf(track, k);
      if (params.mode === 'lateness' && due < firstCounted) continue;
      lateness.push(track.starts[k] - due);
      if (variant === 'raw' && k > 0)
        perTick.push(track.starts[k] - track.starts[k - 1] - intervalMs);
    }
  }

  if (params.mode === 'drift') {
    const track = tracks[0];
    const n = Math.min(track.calls, params.ticks);
    const series = Array.from({ length: n }, (_, k) => track.starts[k] - dueOf(track, k));
    const tenth = Math.max(1, Math.floor(n / 10));
    return {
      variant,
      ticks: n,
      driftMs: series[n - 1],
      growthMs: median(series.slice(n - tenth)) - median(series.slice(0, tenth)),
      skipped,
    };
  }

  const sorted = Float64Array.from(lateness).sort();
  const perTickSorted = Float64Array.from(perTick).sort();
  return {
    variant,
    samples: sorted.length,
    p50Ms: percentileSorted(sorted, 50),
    p99Ms: percentileSorted(sorted, 99),
    maxMs: sorted[sorted.length - 1],
    minMs: sorted[0],
    perTickP50Ms: perTickSorted.length ? percentileSorted(perTickSorted, 50) : undefined,
    perTickP99Ms: perTickSorted.length ? percentileSorted(perTickSorted, 99) : undefined,
    skipped,
  };
});
