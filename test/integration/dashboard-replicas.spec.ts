/**
 * The dashboard across replicas: three Nest HTTP apps on one Redis or PostgreSQL. Every replica
 * lists all of them; a pause set on one stops the cluster routine on all within a second and
 * holds for a replica started later; an instance routine's pause stays on its replica; a
 * replica killed with SIGKILL is shown lost at once, its failures still counted, and
 * forgotten after forgetAfter.
 */
import {
  ENGINES,
  freePort,
  kill,
  primeRedisRoutine,
  primePostgres,
  Replica,
  sleep,
  useSharedEngines,
  waitFor,
  type Engine,
} from './support';
import { PostgresCoordinator } from '../../lib/postgres';

jest.setTimeout(60_000);

const engines = useSharedEngines();

interface Listed {
  replicas: Array<{
    id: string;
    pid: number;
    lost?: true;
    lostSince?: number;
    publishedAt: number;
  }>;
  summary: { lost: number; failing: number };
  routines: Array<{
    name: string;
    state: string;
    here: boolean;
    lost?: true;
    problems: string[];
    runner?: { pid: number };
    replicas: Array<{ pid: number; state: string; lost?: true }>;
    controls?: { pause?: { paused: boolean } };
  }>;
}

describe.each(ENGINES)('dashboard across replicas on %s', (engine: Engine) => {
  const replicas: Array<Replica & { port: number }> = [];

  async function start(
    label: string,
    extra: Record<string, unknown> = {},
  ): Promise<Replica & { port: number }> {
    const port = await freePort();
    const replica = Object.assign(
      new Replica(
        label,
        { engine, port, keyPrefix: engines.keyPrefix, schema: engines.schema, ...extra },
        'dashboard-replica.ts',
      ),
      { port },
    );
    await replica.ready(30_000);
    replicas.push(replica);
    return replica;
  }

  const url = (replica: { port: number }, path: string) =>
    `http://127.0.0.1:${replica.port}/routines/api${path}`;
  const list = async (replica: { port: number }): Promise<Listed> =>
    (await (await fetch(url(replica, '/routines'))).json()) as Listed;
  const post = async (replica: { port: number }, path: string) => {
    const response = await fetch(url(replica, path), { method: 'POST' });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const runsOf = (routine: string, after: number, of: readonly Replica[] = replicas) =>
    of
      .flatMap((replica) => replica.of('run'))
      .filter((run) => run.routine === routine && run.at > after);

  beforeAll(async () => {
    if (engine === 'redis') await primeRedisRoutine(engines.redis, engines.keyPrefix, 'ticker');
    else
      await primePostgres(
        engines.pool,
        new PostgresCoordinator(engines.pool, { schema: engines.schema }),
        engines.schema,
      );
  });

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => kill(replica.process)));
  });

  it('lists every replica, and which one ran the latest slot of the cluster routine', async () => {
    const [a] = [await start('a'), await start('b'), await start('c')];
    const pids = replicas.map((replica) => replica.pid).sort();
    const listed = await waitFor(
      'every replica on the page of replica a',
      async () => {
        const body = await list(a);
        const ticker = body.routines.find((routine) => routine.name === 'ticker');
        // Snapshots are up to publishEvery old: the winner of a slot shows once it has published.
        return body.replicas.length === 3 && ticker?.runner ? body : undefined;
      },
      10_000,
    );
    expect(listed.replicas.map((replica) => replica.pid).sort()).toEqual(pids);
    const ticker = listed.routines.find((routine) => routine.name === 'ticker')!;
    expect(ticker.replicas.map((replica) => replica.pid).sort()).toEqual(pids);
    expect(pids).toContain(ticker.runner?.pid);
  });

  it('pauses a cluster routine on every replica within a second, and keeps it paused for a replica started later', async () => {
    const [a, b] = replicas;
    expect(runsOf('ticker', Date.now() - 2000).length).toBeGreaterThan(3);
    const paused = await post(b, '/routines/ticker/pause');
    expect(paused).toEqual({
      status: 200,
      body: expect.objectContaining({ appliesTo: 'cluster', state: 'paused' }),
    });
    const pausedAt = Date.now();
    await sleep(2500);
    expect(runsOf('ticker', pausedAt + 1000)).toEqual([]);
    expect(runsOf('local-ticker', pausedAt + 1000).length).toBeGreaterThan(10); // instance routines go on
    const listed = await list(a);
    const ticker = listed.routines.find((routine) => routine.name === 'ticker')!;
    expect(ticker.replicas.map((replica) => replica.state)).toEqual(['paused', 'paused', 'paused']);
    expect(ticker.controls?.pause?.paused).toBe(true);

    // A replica killed and started again finds the pause in the coordinator: it never runs.
    await kill(replicas[2].process);
    const late = await start('d');
    await sleep(1500);
    expect(runsOf('ticker', 0, [late])).toEqual([]);
    const own = await list(late);
    expect(own.routines.find((routine) => routine.name === 'ticker')!.state).toBe('paused');

    const resumed = await post(a, '/routines/ticker/resume');
    expect(resumed.body).toEqual(
      expect.objectContaining({ appliesTo: 'cluster', state: 'running' }),
    );
    const resumedAt = Date.now();
    await waitFor(
      'ticker to run again',
      () => runsOf('ticker', resumedAt).length > 2 || undefined,
      3000,
    );
  });

  it('keeps a cluster pause when the engine loses the stored controls, and writes them back', async () => {
    const [a] = replicas;
    await post(a, '/routines/ticker/pause');
    await sleep(1000);
    if (engine === 'redis') await engines.redis.del(`${engines.keyPrefix}{controls}`);
    else await engines.pool.query(`DELETE FROM "${engines.schema}".routines_controls`);
    const lostAt = Date.now();
    await sleep(2000);
    expect(runsOf('ticker', lostAt)).toEqual([]);
    const stored =
      engine === 'redis'
        ? await engines.redis.hget(`${engines.keyPrefix}{controls}`, 'pause:ticker')
        : (
            await engines.pool.query(
              `SELECT control FROM "${engines.schema}".routines_controls WHERE routine = 'pause:ticker'`,
            )
          ).rows[0]?.control;
    expect(JSON.parse(stored)).toEqual(expect.objectContaining({ paused: true }));
    await post(a, '/routines/ticker/resume');
  });

  it('pauses an instance routine on the replica that took the request only, and says which', async () => {
    const [a, b] = replicas;
    const paused = await post(a, '/routines/local-ticker/pause');
    expect(paused.body).toEqual(
      expect.objectContaining({
        appliesTo: 'replica',
        replica: expect.objectContaining({ pid: a.pid }),
      }),
    );
    const pausedAt = Date.now();
    await sleep(800);
    expect(runsOf('local-ticker', pausedAt + 100, [a])).toEqual([]);
    expect(runsOf('local-ticker', pausedAt + 100, [b]).length).toBeGreaterThan(1);
    await post(a, '/routines/local-ticker/resume');
  });

  it('shows a replica killed with SIGKILL as lost, still counts its failures, and forgets it after forgetAfter', async () => {
    const [a] = replicas;
    // e alone runs 'doomed', which always fails.
    const e = await start('e', { failing: 'doomed' });
    const failingOnE = await waitFor(
      'e and its failing routine on the page of a',
      async () => {
        const body = await list(a);
        const doomed = body.routines.find((routine) => routine.name === 'doomed');
        return body.replicas.some((r) => r.pid === e.pid) && doomed?.problems.includes('failing')
          ? body
          : undefined;
      },
      10_000,
    );
    expect(failingOnE.routines.find((routine) => routine.name === 'doomed')).toMatchObject({
      here: false,
    });
    const failingBefore = failingOnE.summary.failing;

    await kill(e.process); // SIGKILL: no withdraw
    const killedAt = Date.now();
    const lost = await waitFor(
      'e to be shown lost',
      async () => {
        const body = await list(a);
        return body.replicas.find((r) => r.pid === e.pid)?.lost ? body : undefined;
      },
      10_000,
    );
    const listedE = lost.replicas.find((r) => r.pid === e.pid)!;
    // Lost after twice its publish period (0.3 s) from its last snapshot, as the engine timed
    // it (the directory's write comes a little after the snapshot's publishedAt).
    expect(listedE.lostSince).toBeGreaterThanOrEqual(listedE.publishedAt + 600 - 100);
    expect(listedE.lostSince).toBeLessThan(listedE.publishedAt + 600 + 3_000);
    expect(lost.summary.lost).toBeGreaterThanOrEqual(1);
    expect(lost.summary.failing).toBe(failingBefore); // its routine's failures still count
    const doomed = lost.routines.find((routine) => routine.name === 'doomed')!;
    expect(doomed).toMatchObject({ here: false, lost: true });
    expect(doomed.problems).toEqual(expect.arrayContaining(['failing', 'lost']));
    expect(doomed.replicas).toEqual([expect.objectContaining({ pid: e.pid, lost: true })]);
    const ticker = lost.routines.find((routine) => routine.name === 'ticker')!;
    expect(ticker.replicas.find((r) => r.pid === e.pid)?.lost).toBe(true);
    expect(ticker.runner?.pid).not.toBe(e.pid); // a lost replica runs nothing

    const forgotten = await waitFor(
      'e to be forgotten',
      async () => ((await list(a)).replicas.some((r) => r.pid === e.pid) ? undefined : Date.now()),
      20_000,
    );
    // forgetAfter is 4 s after its last snapshot: forgotten then, not before, not never (the
    // upper bound is loose: a busy machine, the page's own polling).
    expect(forgotten - killedAt).toBeGreaterThan(3_000);
    expect(forgotten - killedAt).toBeLessThan(15_000);
    const after = await list(a);
    expect(after.routines.some((routine) => routine.name === 'doomed')).toBe(false);
  });
});
