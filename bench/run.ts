/**
 * `npm run bench [-- --quick] [-- --only P1,P3] [-- --reps N]`
 *
 * Runs every scenario, ours against its baselines in the same run: each measurement is
 * its own Node process (no JIT, heap or timer state shared between variants), the variants
 * alternate (the order rotates every repetition), and each figure is the median of the
 * repetitions. Prints one table, writes bench/results.json, and after a full run rewrites
 * the results section of bench/README.md.
 *
 * --quick runs every scenario small (under a minute): it proves the harness works and
 * judges nothing. Quick and partial runs write bench/results.partial.json instead.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { median, RESULT_MARKER } from './harness';
import type { P1Params } from './scenarios/p1-cpu';
import type { P2Params } from './scenarios/p2-lateness';
import type { P3Params } from './scenarios/p3-shutdown';
import type { P4Params } from './scenarios/p4-bootstrap';
import type { P5Params } from './scenarios/p5-memory';
import type { P6Params } from './scenarios/p6-claims';
import type { P7Params } from './scenarios/p7-dashboard';
import type { P8Params } from './scenarios/p8-worker';
import type { P10Params } from './scenarios/p10-replicas';
import type { P11Params } from './scenarios/p11-console';

type Json = Record<string, unknown>;

interface Measurement {
  scenario: string;
  script: string;
  variants: Record<string, object>;
  reps: number;
}

interface Row {
  scenario: string;
  ours: string;
  floor: string;
  schedule: string;
  ratio: string;
  target: string;
  met: boolean | undefined;
}

const ROOT = resolve(__dirname, '..');
const EXT = extname(__filename) || '.ts';
const README = join(__dirname, 'README.md');
const RESULTS = join(__dirname, 'results.json');
/** Quick and partial runs (--only, --reps) never overwrite the full run's results. */
const PARTIAL_RESULTS = join(__dirname, 'results.partial.json');
const TABLE_START = '<!-- bench:results:start -->';
const TABLE_END = '<!-- bench:results:end -->';

function parseArgs(argv: string[]): { quick: boolean; only?: Set<string>; reps?: number } {
  const quick = argv.includes('--quick');
  const onlyArg = argv.find((arg) => arg.startsWith('--only'));
  const onlyValue = onlyArg?.includes('=')
    ? onlyArg.split('=')[1]
    : argv[argv.indexOf('--only') + 1];
  const repsArg = argv.find((arg) => arg.startsWith('--reps'));
  const repsValue = repsArg?.includes('=')
    ? repsArg.split('=')[1]
    : argv[argv.indexOf('--reps') + 1];
  return {
    quick,
    only: onlyArg ? new Set(onlyValue.toUpperCase().split(',')) : undefined,
    reps: repsArg ? Number(repsValue) : undefined,
  };
}

function plan(quick: boolean): Measurement[] {
  const p1 = (variant: P1Params['variant']): P1Params =>
    quick
      ? { variant, count: 2_000, intervalMs: 100, warmupMs: 300, durationMs: 1_000 }
      : { variant, count: 10_000, intervalMs: 100, warmupMs: 1_000, durationMs: 10_000 };
  const p2 = (variant: P2Params['variant']): P2Params =>
    quick
      ? {
          mode: 'lateness',
          variant,
          count: 200,
          intervalMs: 100,
          durationMs: 1_500,
          warmupMs: 500,
          ticks: 0,
        }
      : {
          mode: 'lateness',
          variant,
          count: 1_000,
          intervalMs: 100,
          durationMs: 11_000,
          warmupMs: 1_000,
          ticks: 0,
        };
  const drift = (variant: P2Params['variant']): P2Params => ({
    mode: 'drift',
    variant,
    count: 1,
    intervalMs: 10,
    durationMs: 0,
    warmupMs: 0,
    ticks: quick ? 100 : 1_000,
  });
  const p3 = (variant: P3Params['variant']): P3Params => ({
    variant,
    count: quick ? 200 : 1_000,
    intervalMs: 100,
    runMs: 200,
  });
  const p4 = (variant: P4Params['variant']): P4Params =>
    quick
      ? { variant, providers: 400, decorated: 200 }
      : { variant, providers: 2_000, decorated: 1_000 };
  const p5 = (variant: P5Params['variant']): P5Params => ({
    variant,
    count: quick ? 2_000 : 10_000,
  });
  const p6 = (engine: P6Params['engine'], variant: P6Params['variant'], count: number): P6Params =>
    quick
      ? { engine, variant, count, intervalMs: 1000, warmupMs: 1000, durationMs: 2000 }
      : { engine, variant, count, intervalMs: 1000, warmupMs: 2000, durationMs: 10_000 };
  const p7 = (variant: P7Params['variant']): P7Params =>
    quick
      ? { variant, routines: 100, runsEach: 10, requests: 5 }
      : { variant, routines: 1000, runsEach: 100, requests: 30 };
  // The console in Chromium: a refresh every 2 s over the window (issue 26's targets).
  const p11: P11Params = quick
    ? { routines: 100, runsEach: 2, refresh: '1s', seconds: 3 }
    : { routines: 1000, runsEach: 5, refresh: '2s', seconds: 12 };
  const p8 = (variant: P8Params['variant'], mode: P8Params['mode']): P8Params =>
    mode === 'throughput'
      ? {
          variant,
          mode,
          jobs: quick ? 1000 : 20_000,
          concurrency: 10,
          rate: 0,
          windowMs: quick ? 2000 : 10_000,
          batchSize: variant === 'pgbossBatch' ? 50 : 1,
        }
      : { variant, mode, jobs: quick ? 25 : 500, concurrency: 10, rate: 50, batchSize: 10 };
  const p6Plans: Measurement[] = [];
  for (const engine of ['redis', 'postgres'] as const)
    for (const count of quick ? [200] : [200, 600])
      p6Plans.push({
        scenario: `P6-${engine.toUpperCase()}-${count}`,
        script: 'p6-claims',
        reps: quick ? 1 : 3,
        variants: { ours: p6(engine, 'ours', count), raw: p6(engine, 'raw', count) },
      });
  // Engine work per slot as replicas are added (issue 27): 50 cluster routines at 1 s.
  const p10 = (engine: P10Params['engine'], replicas: number): P10Params => ({
    engine,
    replicas,
    routines: 50,
    intervalMs: 1000,
    warmupMs: quick ? 2500 : 3000,
    durationMs: quick ? 2000 : 15_000,
  });
  const p10Plans: Measurement[] = (['redis', 'postgres'] as const).map((engine) => ({
    scenario: `P10-${engine.toUpperCase()}`,
    script: 'p10-replicas',
    reps: quick ? 1 : 3,
    variants: Object.fromEntries(
      (quick ? [1, 2] : [1, 3, 10, 20]).map((n) => [`replicas-${n}`, p10(engine, n)]),
    ),
  }));
  return [
    {
      scenario: 'P1',
      script: 'p1-cpu',
      reps: quick ? 1 : 5,
      variants: {
        nest: p1('nest'),
        floor: p1('floor'),
        schedule: p1('schedule'),
        core: p1('core'),
        'nest-no-history': p1('nest-no-history'),
        'nest-metrics': p1('nest-metrics'),
        'nest-tracing': p1('nest-tracing'),
        'nest-tracing-sdk': p1('nest-tracing-sdk'),
      },
    },
    {
      scenario: 'P2',
      script: 'p2-lateness',
      reps: quick ? 1 : 3,
      variants: { ours: p2('ours'), raw: p2('raw') },
    },
    {
      scenario: 'P2-drift',
      script: 'p2-lateness',
      reps: quick ? 1 : 3,
      variants: { ours: drift('ours'), raw: drift('raw') },
    },
    {
      scenario: 'P3',
      script: 'p3-shutdown',
      reps: quick ? 1 : 5,
      variants: { ours: p3('ours'), schedule: p3('schedule') },
    },
    {
      scenario: 'P4',
      script: 'p4-bootstrap',
      reps: quick ? 1 : 9,
      variants: { ours: p4('ours'), schedule: p4('schedule'), none: p4('none') },
    },
    {
      scenario: 'P5',
      script: 'p5-memory',
      reps: quick ? 1 : 3,
      variants: {
        nest: p5('nest'),
        'nest-no-history': p5('nest-no-history'),
        core: p5('core'),
        schedule: p5('schedule'),
      },
    },
    ...p6Plans,
    ...p10Plans,
    {
      scenario: 'P7',
      script: 'p7-dashboard',
      reps: quick ? 1 : 3,
      variants: {
        page: p7('page'),
        view: p7('view'),
        json: p7('json'),
        registry: p7('registry'),
      },
    },
    {
      scenario: 'P8',
      script: 'p8-worker',
      reps: quick ? 1 : 3,
      variants: {
        ours: p8('ours', 'throughput'),
        graphile: p8('graphile', 'throughput'),
        pgboss: p8('pgboss', 'throughput'),
        pgbossBatch: p8('pgbossBatch', 'throughput'),
      },
    },
    {
      scenario: 'P11',
      script: 'p11-console',
      reps: quick ? 1 : 3,
      variants: { console: p11 },
    },
    {
      scenario: 'P9',
      script: 'p8-worker',
      reps: quick ? 1 : 3,
      variants: {
        ours: p8('ours', 'latency'),
        graphile: p8('graphile', 'latency'),
        pgboss: p8('pgboss', 'latency'),
      },
    },
  ];
}

/** Runs one measurement in a fresh Node process with the same loader as this one. */
function measure(script: string, params: object): Promise<Json> {
  const file = join(__dirname, 'scenarios', `${script}${EXT}`);
  const args = [...process.execArgv, '--expose-gc', file, JSON.stringify(params)];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      if (code !== 0 || !line) {
        reject(new Error(`${script} ${JSON.stringify(params)} exited with ${code}\n${stdout}`));
        return;
      }
      resolvePromise(JSON.parse(line.slice(RESULT_MARKER.length)) as Json);
    });
  });
}

/** Every repetition runs each variant once; the order rotates so none always goes first. */
async function runMeasurement(m: Measurement, reps: number): Promise<Record<string, Json[]>> {
  const names = Object.keys(m.variants);
  const runs: Record<string, Json[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let rep = 0; rep < reps; rep++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + rep) % names.length];
      const result = await measure(m.script, m.variants[name]);
      runs[name].push(result);
      process.stderr.write(`  ${m.scenario} rep ${rep + 1}/${reps} ${name}: ${brief(result)}\n`);
    }
  }
  return runs;
}

function brief(result: Json): string {
  return Object.entries(result)
    .filter(([key, value]) => key !== 'variant' && typeof value === 'number')
    .map(([key, value]) => `${key}=${fmt(value as number)}`)
    .join(' ');
}

function fmt(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return Number(value.toPrecision(digits)).toString();
}

/** Median of one numeric field across the repetitions of a variant. */
function med(runs: Record<string, Json[]>, variant: string, field: string): number {
  return median((runs[variant] ?? []).map((r) => r[field] as number));
}

function buildRows(all: Record<string, Record<string, Json[]>>, quick: boolean): Row[] {
  const rows: Row[] = [];
  const p1 = all.P1;
  if (p1) {
    const floor = med(p1, 'floor', 'perTickUs');
    const schedule = med(p1, 'schedule', 'perTickUs');
    for (const [variant, label] of [
      ['nest', 'P1 CPU per tick, µs (@Periodic in RoutinesModule)'],
      ['core', 'P1 CPU per tick, µs (core PeriodicRoutine)'],
      ['nest-no-history', 'P1 … RoutinesModule, history: 0'],
      ['nest-metrics', 'P1 … RoutinesModule, metrics'],
      ['nest-tracing', 'P1 … RoutinesModule, tracing, no SDK (no-op tracer)'],
      ['nest-tracing-sdk', 'P1 … RoutinesModule, tracing, SDK + in-memory exporter'],
    ] as const) {
      if (!p1[variant]) continue;
      const ours = med(p1, variant, 'perTickUs');
      const optional = variant.startsWith('nest-');
      rows.push({
        scenario: label,
        ours: fmt(ours),
        floor: fmt(floor),
        schedule: fmt(schedule),
        ratio: `${fmt(ours / floor, 2)}× floor, ${fmt(ours / schedule, 2)}× schedule`,
        // Metrics and tracing are opt-in costs, reported against the floor with no target.
        target: optional && variant !== 'nest-no-history' ? '' : '≤ 0.8× floor',
        met: optional && variant !== 'nest-no-history' ? undefined : ours <= 0.8 * floor,
      });
    }
  }
  const p2 = all.P2;
  if (p2) {
    for (const [field, label] of [
      ['p50Ms', 'p50'],
      ['p99Ms', 'p99'],
      ['maxMs', 'max'],
    ] as const) {
      const ours = med(p2, 'ours', field);
      const raw = med(p2, 'raw', field);
      const isP99 = field === 'p99Ms';
      rows.push({
        scenario: `P2 lateness ${label}, ms`,
        ours: fmt(ours),
        floor: fmt(raw),
        schedule: '',
        ratio: `${fmt(ours / raw, 2)}× raw`,
        target: isP99 ? '≤ raw p99 + 2 ms' : '',
        met: isP99 ? ours <= raw + 2 : undefined,
      });
    }
    const perTick = med(p2, 'raw', 'perTickP99Ms');
    const ours99 = med(p2, 'ours', 'p99Ms');
    rows.push({
      scenario: 'P2 lateness p99, ms, vs raw per-tick (context)',
      ours: fmt(ours99),
      floor: fmt(perTick),
      schedule: '',
      ratio: `${fmt(ours99 / perTick, 2)}× raw`,
      target: '',
      met: undefined,
    });
  }
  const drift = all['P2-drift'];
  if (drift) {
    const ticks = med(drift, 'ours', 'ticks');
    const oursGrowth = med(drift, 'ours', 'growthMs');
    const rawGrowth = med(drift, 'raw', 'growthMs');
    rows.push({
      scenario: `P2 drift after ${ticks} ticks, ms (lateness at last tick)`,
      ours: fmt(med(drift, 'ours', 'driftMs')),
      floor: fmt(med(drift, 'raw', 'driftMs')),
      schedule: '',
      ratio: '',
      target: '',
      met: undefined,
    });
    rows.push({
      scenario: 'P2 drift growth, ms (last tenth − first tenth)',
      ours: fmt(oursGrowth),
      floor: fmt(rawGrowth),
      schedule: '',
      ratio: '',
      target: 'does not grow (< 1 ms)',
      met: Math.abs(oursGrowth) < 1,
    });
  }
  const p3 = all.P3;
  if (p3) {
    const ours = med(p3, 'ours', 'closeMs');
    const count = med(p3, 'ours', 'inFlightAtClose');
    const oursDone = Math.min(...p3.ours.map((r) => r.completedByClose as number));
    const scheduleDone = med(p3, 'schedule', 'completedByClose');
    const scheduleLeft = med(p3, 'schedule', 'leftRunning');
    rows.push({
      scenario: 'P3 app.close() with 200 ms runs in flight, ms',
      ours: fmt(ours),
      floor: '',
      schedule: fmt(med(p3, 'schedule', 'closeMs')),
      ratio: `${fmt(ours / 200, 2)}× run`,
      target: '≤ 240 ms (1.2 × 200 ms)',
      met: ours <= 240,
    });
    rows.push({
      scenario: 'P3 in-flight runs completed by close',
      ours: `${oursDone}/${count} (worst rep)`,
      floor: '',
      schedule: `${scheduleDone}/${count} (${scheduleLeft} left running)`,
      ratio: '',
      target: 'all',
      met: oursDone === count,
    });
  }
  const p8 = all.P8;
  if (p8) {
    const ours = med(p8, 'ours', 'jobsPerSecond');
    const graphile = med(p8, 'graphile', 'jobsPerSecond');
    rows.push({
      scenario:
        'P8 worker throughput, 20,000 no-op jobs, concurrency 10, jobs/s (floor column: graphile-worker 0.17)',
      ours: fmt(ours),
      floor: fmt(graphile),
      schedule: '—',
      ratio: `${fmt(ours / graphile, 2)}× graphile-worker`,
      target: '≥ 1.0× graphile-worker',
      met: quick ? undefined : ours >= graphile,
    });
    const pgboss = med(p8, 'pgboss', 'jobsPerSecond');
    rows.push({
      scenario:
        'P8 same, jobs/s (floor column: pg-boss 10.4, 10 workers of batchSize 1, polling 0.5 s, over 10 s)',
      ours: fmt(ours),
      floor: fmt(pgboss),
      schedule: '—',
      ratio: `${fmt(ours / pgboss, 2)}× pg-boss`,
      target: '≥ 2× pg-boss',
      met: quick ? undefined : ours >= 2 * pgboss,
    });
    const batched = med(p8, 'pgbossBatch', 'jobsPerSecond');
    rows.push({
      scenario:
        'P8 same, jobs/s (floor column: pg-boss 10.4 batched, 10 workers of batchSize 50, context)',
      ours: fmt(ours),
      floor: fmt(batched),
      schedule: '—',
      ratio: `${fmt(ours / batched, 2)}× pg-boss batched`,
      target: '',
      met: undefined,
    });
  }
  const p9 = all.P9;
  if (p9) {
    for (const field of ['p50Ms', 'p99Ms'] as const) {
      const ours = med(p9, 'ours', field);
      const limit = field === 'p50Ms' ? 5 : 50;
      rows.push({
        scenario: `P9 worker pickup latency at 50 jobs/s, ${field.slice(0, 3)} ms (floor column: graphile-worker 0.17)`,
        ours: fmt(ours),
        floor: fmt(med(p9, 'graphile', field)),
        schedule: '—',
        ratio: '',
        target: `≤ ${limit} ms`,
        met: quick ? undefined : ours <= limit,
      });
      rows.push({
        scenario: `P9 same, ${field.slice(0, 3)} ms (floor column: pg-boss 10.4, 10 workers of batchSize 10, polling 0.5 s, no LISTEN)`,
        ours: fmt(ours),
        floor: fmt(med(p9, 'pgboss', field)),
        schedule: '—',
        ratio: '',
        target: `≤ ${limit} ms`,
        met: quick ? undefined : ours <= limit,
      });
    }
  }
  const p7 = all.P7;
  if (p7) {
    const baseline = med(p7, 'registry', 'medianMs');
    for (const [variant, label] of [
      ['page', 'P7 status page, 1,000 routines × 100 runs, ms per request'],
      ['view', 'P7 console view (one page of rows), same routines, ms per request'],
      ['json', 'P7 dashboard JSON, same routines, ms per request'],
    ] as const) {
      const ours = med(p7, variant, 'medianMs');
      rows.push({
        scenario: label,
        ours: `${fmt(ours)} (${fmt(med(p7, variant, 'bytes') / 1024, 3)} KiB)`,
        floor: `${fmt(baseline)} (registry.list())`,
        schedule: '—',
        ratio: `${fmt(ours / baseline, 2)}× registry.list()`,
        target: variant === 'page' ? '< 250 ms' : '',
        met: variant === 'page' ? ours < 250 : undefined,
      });
    }
  }
  for (const engine of ['redis', 'postgres'] as const) {
    const p10 = all[`P10-${engine.toUpperCase()}`];
    if (!p10) continue;
    // Redis: every command; PostgreSQL: rows touched (its statements are batched per instant,
    // so they barely grow; the rows each replica reads do).
    const main = engine === 'redis' ? 'commandsPerSlot' : 'rowsTouchedPerSlot';
    const unit = engine === 'redis' ? 'commands' : 'rows touched';
    const one = med(p10, 'replicas-1', main);
    for (const variant of Object.keys(p10)) {
      const replicas = Number(variant.split('-')[1]);
      if (replicas === 1) continue;
      const ours = med(p10, variant, main);
      const written =
        engine === 'postgres'
          ? `, ${fmt(med(p10, variant, 'statementsPerSlot'))} statements ` +
            `(1 replica: ${fmt(med(p10, 'replicas-1', 'statementsPerSlot'))})`
          : '';
      const run = med(p10, variant, 'slotsRun');
      const slots = med(p10, variant, 'slots');
      const missed = run < slots ? `; ${fmt(slots - run)} of ${fmt(slots)} slots not run` : '';
      rows.push({
        scenario: `P10 ${engine} work per slot, ${replicas} replicas, 50 cluster routines at 1 s`,
        ours: `${fmt(ours)} ${unit}${written}; CPU ${fmt(med(p10, variant, 'cpuMsPerReplicaPerSecond'))} ms/s per replica${missed}`,
        floor: `${fmt(one)} ${unit} (1 replica)`,
        schedule: '—',
        ratio: `${fmt(ours / one, 2)}× 1 replica`,
        target: '≤ 1.2× (issue 27)',
        met: quick ? undefined : ours / one <= 1.2,
      });
    }
  }
  const p11 = all.P11;
  if (p11) {
    // The page of cards it replaced, measured by this scenario on the commit before the console
    // (1,000 routines): 1,764,014 bytes and 946 ms of main-thread work per refresh.
    const before = { bytes: 1_764_014, ms: 946 };
    const bytes = med(p11, 'console', 'bytesPerRefresh');
    const ms = med(p11, 'console', 'mainThreadMsPerRefresh');
    rows.push(
      {
        scenario: 'P11 console in Chromium, 1,000 routines, bytes per refresh',
        ours: `${fmt(bytes / 1024, 3)} KiB`,
        floor: `${fmt(before.bytes / 1024, 4)} KiB (the page of cards)`,
        schedule: '—',
        ratio: `${fmt(bytes / before.bytes, 3)}× the cards`,
        target: '≤ 200 KB',
        met: quick ? undefined : bytes <= 200_000,
      },
      {
        scenario: 'P11 console, main-thread ms per refresh',
        ours: `${fmt(ms)} (typing 7 keys: ${fmt(med(p11, 'console', 'typeFilterMs'))} ms)`,
        floor: `${fmt(before.ms)} (the page of cards)`,
        schedule: '—',
        ratio: `${fmt(ms / before.ms, 2)}× the cards`,
        target: '≤ 50 ms',
        met: quick ? undefined : ms <= 50,
      },
    );
  }
  const p4 = all.P4;
  if (p4) {
    const ours = med(p4, 'ours', 'initMs');
    const schedule = med(p4, 'schedule', 'initMs');
    const none = med(p4, 'none', 'initMs');
    rows.push({
      scenario: 'P4 init(), ms (floor column: no scheduler)',
      ours: fmt(ours),
      floor: fmt(none),
      schedule: fmt(schedule),
      ratio: `${fmt(ours / schedule, 2)}× schedule`,
      target: '≤ 1.0× schedule',
      met: ours <= schedule,
    });
    const oursTotal = med(p4, 'ours', 'totalMs');
    const scheduleTotal = med(p4, 'schedule', 'totalMs');
    rows.push({
      scenario: 'P4 compile + init(), ms (context)',
      ours: fmt(oursTotal),
      floor: fmt(med(p4, 'none', 'totalMs')),
      schedule: fmt(scheduleTotal),
      ratio: `${fmt(oursTotal / scheduleTotal, 2)}× schedule`,
      target: '',
      met: undefined,
    });
  }
  const p5 = all.P5;
  if (p5) {
    const schedule = med(p5, 'schedule', 'perRoutineBytes');
    // "At most 2 KB plus the ring": the ring (100 records of 7 doubles, 5,600 B, and the
    // objects holding them) is what the default history adds over `history: 0`.
    const withoutRing = p5['nest-no-history'] ? med(p5, 'nest-no-history', 'perRoutineBytes') : NaN;
    for (const [variant, label] of [
      ['nest', 'P5 memory per idle routine, bytes (RoutinesModule, history 100)'],
      ['nest-no-history', 'P5 memory per idle routine, bytes (RoutinesModule, history: 0)'],
      ['core', 'P5 memory per idle routine, bytes (core PeriodicRoutine)'],
    ] as const) {
      if (!p5[variant]) continue;
      const ours = med(p5, variant, 'perRoutineBytes');
      const ring = variant === 'nest' ? ours - withoutRing : 0;
      const vsSchedule = variant !== 'core';
      rows.push({
        scenario: label,
        ours: fmt(ours, 4),
        floor: '',
        schedule: vsSchedule ? fmt(schedule, 4) : '',
        ratio: [
          vsSchedule ? `${fmt(ours / schedule, 2)}× schedule` : '',
          ring ? `ring ${fmt(ring, 4)}` : '',
        ]
          .filter(Boolean)
          .join('; '),
        target: variant === 'nest' ? '≤ 2048 + ring' : '≤ 2048',
        met: ours - ring <= 2048,
      });
    }
  }
  for (const [scenario, p6] of Object.entries(all)) {
    const match = /^P6-(REDIS|POSTGRES)-(\d+)$/.exec(scenario);
    if (!match) continue;
    const [, upper, count] = match;
    const engine = upper.toLowerCase();
    const ours99 = med(p6, 'ours', 'p99Ms');
    const raw99 = med(p6, 'raw', 'p99Ms');
    const twice = Math.max(...p6.ours.map((r) => r.slotsRunTwice as number));
    rows.push({
      scenario: `P6 claim p50 / p99, ms: ${engine}, 3 replicas × ${count} cluster routines at 1 s`,
      ours: `${fmt(med(p6, 'ours', 'p50Ms'))} / ${fmt(ours99)}`,
      floor: `${fmt(med(p6, 'raw', 'p50Ms'))} / ${fmt(raw99)}`,
      schedule: '',
      ratio: `p99 ${fmt(ours99 / raw99, 2)}× raw; ${twice} slot(s) run twice`,
      target: count === '600' ? 'p99 ≤ 50 ms, no slot twice' : 'no slot twice',
      met: (count !== '600' || ours99 <= 50) && twice === 0,
    });
  }
  if (quick) for (const row of rows) row.met = undefined;
  return rows;
}

function renderTable(rows: Row[]): string {
  const header = ['Scenario', 'Ours', 'Floor / raw', '@nestjs/schedule', 'Ratio', 'Target', 'Met'];
  const lines = rows.map((r) => [
    r.scenario,
    r.ours,
    r.floor,
    r.schedule,
    r.ratio,
    r.target,
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const render = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [
    render(header),
    // Prettier's own table style, so that `prettier --check` accepts the README as written.
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...lines.map(render),
  ].join('\n');
}

function machine(): Json {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpu = /model name\s*:\s*(.*)/.exec(info)?.[1]?.trim() ?? cpu;
  } catch {
    // not Linux: os.cpus() it is
  }
  return {
    cpu,
    cores: cpus().length,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

function updateReadme(table: string, header: string): void {
  let text: string;
  try {
    text = readFileSync(README, 'utf8');
  } catch {
    return;
  }
  const start = text.indexOf(TABLE_START);
  const end = text.indexOf(TABLE_END);
  if (start < 0 || end < start) return;
  const section = `${TABLE_START}\n\n${header}\n\n${table}\n\n${TABLE_END}`;
  writeFileSync(README, text.slice(0, start) + section + text.slice(end + TABLE_END.length));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const t0 = performance.now();
  const all: Record<string, Record<string, Json[]>> = {};
  for (const m of plan(args.quick)) {
    if (args.only && !args.only.has(m.scenario) && !args.only.has(m.scenario.split('-')[0]))
      continue;
    process.stderr.write(`${m.scenario} (${m.script})\n`);
    all[m.scenario] = await runMeasurement(m, args.reps ?? m.reps);
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const rows = buildRows(all, args.quick);
  const table = renderTable(rows);
  const host = machine();
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const header =
    `${args.quick ? 'Quick mode (proves the harness; judges nothing). ' : ''}` +
    `${startedAt.toISOString()}, \`${command}\`, ${wallSeconds.toFixed(0)} s. ` +
    `${host.cpu}, ${host.cores} cores, Node ${host.node} (${host.platform}).`;
  console.log(`\n${header}\n\n${table}\n`);
  const medians = Object.fromEntries(
    Object.entries(all).map(([scenario, runs]) => [
      scenario,
      Object.fromEntries(
        Object.entries(runs).map(([variant, list]) => [
          variant,
          Object.fromEntries(
            Object.keys(list[0] ?? {})
              .filter((key) => typeof list[0][key] === 'number')
              .map((key) => [key, median(list.map((r) => r[key] as number))]),
          ),
        ]),
      ),
    ]),
  );
  const full = !args.quick && !args.only && args.reps === undefined;
  writeFileSync(
    full ? RESULTS : PARTIAL_RESULTS,
    `${JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        command,
        quick: args.quick,
        wallSeconds,
        machine: host,
        plan: plan(args.quick).filter((m) => m.scenario in all),
        table: rows,
        medians,
        runs: all,
      },
      null,
      2,
    )}\n`,
  );
  if (full) updateReadme(table, header);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
