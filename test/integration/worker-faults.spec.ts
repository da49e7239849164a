/**
 * The DB-backed worker under faults, with real worker processes on the real PostgreSQL (issue
 * 23): a storm of pg_terminate_backend against their connections, a worker cut off behind a
 * TCP proxy for longer than stalledAfter, a worker paused with SIGSTOP past stalledAfter, and a
 * handler that ignores its signal. Each prints its figures (rows handled twice, overlap in ms,
 * processes that died, recovery time).
 *
 * A row is "acted on" by a worker when its handler, having checked `job.holdsRow()`, reports an
 * act; two holders overlap on a row when the acts of two claims interleave in time (all
 * processes read the same clock). The goal is 0 ms: the first holder stops acting once it could
 * know it lost its hold, before another may take the row.
 */
import type { Pool } from 'pg';
import { workerTableSql } from '../../lib/worker';
import {
  DATABASE_URL,
  dropSchema,
  freePort,
  killAll,
  postgresPool,
  Replica,
  type ReplicaEvent,
  sleep,
  stopGracefully,
  TcpProxy,
  unique,
  waitFor,
} from './support';

jest.setTimeout(90_000);

/** What the worker fixture reports, beyond the shared replica events. */
interface WorkerEvent extends ReplicaEvent {
  id?: string;
  token?: string;
  passed?: number;
  holds?: boolean;
  stopMs?: number;
  inFlight?: number;
}

const events = (replica: Replica, type: string): WorkerEvent[] =>
  (replica.events as WorkerEvent[]).filter((event) => (event.type as string) === type);

/**
 * Per row, the span of acts of each claim; the overlap is the time two claims' spans share,
 * summed over rows. Answers the rows acted on by two claims, and those at once.
 */
function overlapOf(replicas: readonly Replica[]): {
  rowsByTwo: number;
  rowsAtOnce: number;
  overlapMs: number;
} {
  const spans = new Map<string, Map<string, [number, number]>>();
  for (const replica of replicas) {
    for (const act of events(replica, 'act')) {
      // The holder: a process and its claim (builds before per-dequeue tokens had none).
      const holder = `${act.pid}:${act.token}`;
      const byToken = spans.get(act.id!) ?? new Map<string, [number, number]>();
      const span = byToken.get(holder) ?? [act.at, act.at];
      byToken.set(holder, [Math.min(span[0], act.at), Math.max(span[1], act.at)]);
      spans.set(act.id!, byToken);
    }
  }
  let rowsByTwo = 0;
  let rowsAtOnce = 0;
  let overlapMs = 0;
  for (const byToken of spans.values()) {
    const list = [...byToken.values()];
    if (list.length > 1) rowsByTwo++;
    let row = 0;
    for (let i = 0; i < list.length; i++)
      for (let j = i + 1; j < list.length; j++)
        row += Math.max(0, Math.min(list[i][1], list[j][1]) - Math.max(list[i][0], list[j][0]));
    if (row > 0) rowsAtOnce++;
    overlapMs += row;
  }
  return { rowsByTwo, rowsAtOnce, overlapMs };
}

describe('DbWorker under faults, across processes on PostgreSQL', () => {
  let pool: Pool;
  const schema = unique('worker_faults');
  let table: string;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    pool = postgresPool(4);
    await pool.query(`CREATE SCHEMA "${schema}"`);
  });
  afterAll(async () => {
    await killAll();
    await dropSchema(pool, schema);
    await pool.end();
  });
  beforeEach(async () => {
    table = `${schema}.${unique('jobs')}`;
    await pool.query(
      `CREATE TABLE ${table} (id bigserial PRIMARY KEY, acts integer NOT NULL DEFAULT 0, done_by text[] NOT NULL DEFAULT '{}')`,
    );
    await pool.query(workerTableSql(table));
  });
  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((replica) => stopGracefully(replica.process, 3000)));
  });

  const worker = (label: string, config: Record<string, unknown>) => {
    const replica = new Replica(
      label,
      {
        databaseUrl: DATABASE_URL,
        table,
        concurrency: 4,
        jobMs: 100,
        heartbeatMs: 300,
        stalledAfterMs: 3000,
        graceMs: 500,
        mode: 'act',
        ...config,
      },
      'worker-replica.ts',
    );
    replicas.push(replica);
    return replica;
  };
  const insert = (count: number) =>
    pool.query(`INSERT INTO ${table} (acts) SELECT 0 FROM generate_series(1, $1)`, [count]);
  const count = async (where: string) =>
    Number(
      (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`)).rows[0]
        .n,
    );
  const startedBy = (replica: Replica) => new Set(events(replica, 'job-started').map((e) => e.id));
  const diedOf = (list: readonly Replica[]) =>
    list.filter((replica) => replica.process.exitCode !== null || replica.process.signalCode)
      .length;

  it('survives a storm of pg_terminate_backend against its connections: no process dies, every row completes', async () => {
    const applicationName = unique('wstorm');
    const workers = ['s1', 's2', 's3'].map((label) =>
      worker(label, {
        applicationName,
        listen: true,
        concurrency: 2,
        jobMs: 150,
        stepMs: 50,
        heartbeatMs: 200,
        stalledAfterMs: 1500,
        pollIntervalMs: 500,
      }),
    );
    await Promise.all(workers.map((w) => w.ready(30_000)));
    await insert(150);
    const began = Date.now();
    let terminated = 0;
    let round = 0;
    while (Date.now() - began < 8000) {
      await sleep(250 + Math.random() * 250);
      const { rows } = await pool.query<{ ok: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1`,
        [applicationName],
      );
      terminated += rows.filter((row) => row.ok).length;
      // New rows while connections (the LISTEN one too) come and go.
      if (++round % 4 === 0) await insert(20);
    }
    // Then 3 s of terminations as fast as they go, of connections just opened: an error that
    // arrives right after a connection is ready (the LISTEN one included) must find a listener.
    const hammer = Date.now();
    while (Date.now() - hammer < 3000) {
      const { rows } = await pool.query<{ ok: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1 AND backend_start > clock_timestamp() - interval '200 milliseconds'`,
        [applicationName],
      );
      terminated += rows.filter((row) => row.ok).length;
    }
    const stormEnded = Date.now();
    const total = await count('true');
    await waitFor(
      'every row to complete after the storm',
      async () => (await count(`state = 'completed'`)) === total,
      60_000,
      200,
    );
    const recoveryMs = Date.now() - stormEnded;
    const died = diedOf(workers);
    const { rowsByTwo, rowsAtOnce, overlapMs } = overlapOf(workers);
    const writtenByTwo = await count('cardinality(done_by) > 1');
    console.log(
      `[worker faults: terminate storm] ${total} rows, 3 workers × concurrency 2, ${terminated} backends terminated over 8 s (every 0.25-0.5 s, then 3 s of those just opened, as fast as they go): ` +
        `processes died ${died}, rows completed ${total}/${total} ${recoveryMs} ms after the storm, ` +
        `rows acted on by two holders ${rowsByTwo} (one after the other: an end lost with its connection), by two at once ${rowsAtOnce} (overlap ${overlapMs} ms), ` +
        `rows whose fenced end was written by two ${writtenByTwo}`,
    );
    for (const w of workers.filter((w) => !w.alive))
      console.log(`[${w.label} died] ${w.log().split('\n').slice(-12).join('\n')}`);
    expect(died).toBe(0);
    expect(workers.every((w) => !/Unhandled 'error' event/.test(w.log()))).toBe(true);
    expect(overlapMs).toBe(0);
    expect(terminated).toBeGreaterThan(10);
  });

  it('aborts the rows of a worker cut off from PostgreSQL before the others reset them; each row completes once', async () => {
    const proxy = new TcpProxy(await freePort(), {
      host: new URL(DATABASE_URL).hostname,
      port: Number(new URL(DATABASE_URL).port || 5432),
    });
    await proxy.start();
    const viaProxy = new URL(DATABASE_URL);
    viaProxy.port = String(proxy.port);
    try {
      await insert(4);
      const cut = worker('cut', { databaseUrl: viaProxy.toString(), jobMs: 20_000 });
      await cut.ready(30_000);
      await waitFor('the cut worker to take the 4 rows', () => startedBy(cut).size === 4, 15_000);
      const other = worker('other', { jobMs: 3000 });
      await other.ready(30_000);
      await sleep(500);
      const cutAt = Date.now();
      await proxy.stop();
      await waitFor(
        'the other worker to take the 4 rows',
        () => startedBy(other).size === 4,
        30_000,
      );
      const takenAt = Math.max(...events(other, 'job-started').map((e) => e.at));
      await sleep(Math.max(0, cutAt + 8000 - Date.now())); // cut for 8 s, longer than stalledAfter (3 s)
      await proxy.start();
      await waitFor(
        'every row to complete',
        async () => (await count(`state = 'completed'`)) === 4,
        30_000,
        100,
      );
      const completedAt = Date.now();
      // Each of the cut worker's rows: its signal aborted (JobLost) before the other started it.
      const aborted = events(cut, 'aborted').filter((e) => e.reason === 'JobLost');
      const leads: number[] = [];
      for (const id of startedBy(cut)) {
        const abortedAt = aborted.find((e) => e.id === id)?.at ?? Number.NaN;
        const restartedAt = events(other, 'job-started').find((e) => e.id === id)?.at;
        leads.push(restartedAt! - abortedAt);
      }
      const { rowsByTwo, rowsAtOnce, overlapMs } = overlapOf([cut, other]);
      const doneBy = (
        await pool.query<{ done_by: string[] }>(`SELECT done_by FROM ${table} ORDER BY id`)
      ).rows.map((row) => row.done_by.length);
      const died = diedOf([cut, other]);
      console.log(
        `[worker faults: cut off] 4 rows of 20 s on a worker cut from PostgreSQL for 8 s (heartbeat 300 ms, stalledAfter 3 s): ` +
          `its signals aborted ${Math.min(...leads)}-${Math.max(...leads)} ms before the other worker started each row; ` +
          `rows acted on by two holders ${rowsByTwo}, by two at once ${rowsAtOnce} (overlap ${overlapMs} ms in all); rows taken over ${takenAt - cutAt} ms after the cut, ` +
          `all completed ${completedAt - cutAt} ms after it; fenced ends written per row ${JSON.stringify(doneBy)}; processes died ${died}`,
      );
      expect(leads.every((lead) => lead > 0)).toBe(true);
      // holdsRow() already read false in the signal's listeners.
      expect(aborted.every((e) => e.holds === false)).toBe(true);
      expect(overlapMs).toBe(0);
      expect(doneBy).toEqual([1, 1, 1, 1]);
      expect(died).toBe(0);
    } finally {
      await proxy.stop();
    }
  });

  it('reads holdsRow() false on waking from SIGSTOP past stalledAfter, and fences its late writes', async () => {
    await insert(4);
    const paused = worker('paused', { jobMs: 30_000 });
    await paused.ready(30_000);
    await waitFor(
      'the paused worker to take the 4 rows',
      () => startedBy(paused).size === 4,
      15_000,
    );
    const other = worker('other', { jobMs: 3000 });
    await other.ready(30_000);
    await sleep(500);
    const stoppedAt = Date.now();
    paused.process.kill('SIGSTOP');
    await waitFor('the other worker to take the 4 rows', () => startedBy(other).size === 4, 30_000);
    const takenAt = Math.max(...events(other, 'job-started').map((e) => e.at));
    await sleep(500);
    const continuedAt = Date.now();
    paused.process.kill('SIGCONT');
    // Asserted below, after the figures are printed.
    await waitFor(
      'the woken handlers to see they lost their rows',
      () => events(paused, 'no-hold').length === 4,
      10_000,
    ).catch(() => undefined);
    await waitFor(
      'every row to complete',
      async () => (await count(`state = 'completed'`)) === 4,
      30_000,
      100,
    );
    const actsAfterWaking = events(paused, 'act').filter((e) => e.at >= continuedAt).length;
    const lateWrites = events(paused, 'no-hold');
    const passedFence = lateWrites.filter((e) => (e.passed ?? 0) > 0).length;
    const { rowsByTwo, rowsAtOnce, overlapMs } = overlapOf([paused, other]);
    const writtenByTwo = await count('cardinality(done_by) > 1');
    const died = diedOf([paused, other]);
    console.log(
      `[worker faults: SIGSTOP] a worker paused ${continuedAt - stoppedAt} ms (stalledAfter 3 s) with 4 rows: ` +
        `acts after waking ${actsAfterWaking} (holdsRow() false on waking), late fenced writes tried ${lateWrites.length}, passed ${passedFence}; ` +
        `rows acted on by two holders ${rowsByTwo}, by two at once ${rowsAtOnce} (overlap ${overlapMs} ms in all), rows written by two ${writtenByTwo}; ` +
        `taken over ${takenAt - stoppedAt} ms after the pause began; processes died ${died}`,
    );
    expect(actsAfterWaking).toBe(0);
    expect(lateWrites).toHaveLength(4);
    expect(passedFence).toBe(0);
    expect(overlapMs).toBe(0);
    expect(writtenByTwo).toBe(0);
    expect(died).toBe(0);
  });

  it('writes rows as timeouts when a handler ignores its signal, starts the next, and stops within its grace on SIGTERM, handing rows back', async () => {
    await insert(3);
    const stuck = worker('stuck', {
      mode: 'ignore',
      concurrency: 2,
      timeoutMs: 1000,
      heartbeatMs: 200,
      graceMs: 100,
    });
    await stuck.ready(30_000);
    await waitFor('the third row to start', () => startedBy(stuck).size === 3, 15_000);
    const sentAt = Date.now();
    stuck.process.kill('SIGTERM');
    const exiting = await waitFor('the worker to exit', () => events(stuck, 'exiting')[0], 15_000);
    const exitMs = Date.now() - sentAt;
    const rows = (
      await pool.query<{
        id: string;
        state: string;
        num_failures: number;
        failure_message: string;
      }>(`SELECT id::text, state, num_failures, failure_message FROM ${table} ORDER BY id`)
    ).rows;
    console.log(
      `[worker faults: ignored signal] timeout 1 s, concurrency 2, 3 rows whose handlers never settle: ` +
        `rows ${JSON.stringify(rows.map((row) => [row.state, row.failure_message]))}; SIGTERM with a 100 ms grace: stop returned in ${exiting.stopMs} ms ` +
        `(process gone ${exitMs} ms after the signal) with ${exiting.inFlight} handlers still running`,
    );
    expect(
      rows.slice(0, 2).map((row) => [row.state, row.num_failures, row.failure_message]),
    ).toEqual([
      ['errored', 1, 'timed out after 1000 ms'],
      ['errored', 1, 'timed out after 1000 ms'],
    ]);
    expect(rows[2]).toEqual(expect.objectContaining({ state: 'queued', num_failures: 0 }));
    expect(exiting.stopMs).toBeLessThan(100 + 100 + 1000); // grace, hand-back, a busy machine
    expect(stuck.log()).toMatch(/ignored their signal.*job 1/);
  });
});
