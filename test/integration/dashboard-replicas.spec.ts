/**
 * The dashboard across replicas: three Nest HTTP apps on one Redis or PostgreSQL. Every replica
 * lists all of them; a pause set on one stops the cluster routine on all within a second and
 * holds for a replica started later; an instance routine's pause stays on its replica; a
 * replica killed with SIGKILL drops out after the expiry.
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
  replicas: Array<{ id: string; pid: number }>;
  routines: Array<{
    name: string;
    state: string;
    runner?: { pid: number };
    replicas: Array<{ pid: number; state: string }>;
    controls?: { pause?: { paused: boolean } };
  }>;
}

describe.each(ENGINES)('dashboard across replicas on %s', (engine: Engine) => {
  const replicas: Array<Replica & { port: number }> = [];

  async function start(label: string): Promise<Replica & { port: number }> {
    const port = await freePort();
    const replica = Object.assign(
      new Replica(
        label,
        { engine, port, keyPrefix: engines.keyPrefix, schema: engines.schema },
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

  it('drops a replica killed with SIGKILL once its snapshot expires', async () => {
    const [a, b] = replicas;
    await waitFor(
      'b on the page',
      async () => ((await list(a)).replicas.some((r) => r.pid === b.pid) ? true : undefined),
      5000,
    );
    await kill(b.process);
    const killedAt = Date.now();
    const gone = await waitFor(
      'b to drop out',
      async () => ((await list(a)).replicas.some((r) => r.pid === b.pid) ? undefined : Date.now()),
      15_000,
    );
    // expireAfter is 1.5 s after its last snapshot (published every 0.3 s). It drops out then,
    // not never: under 3.5 s on a quiet machine, 8 s with the page's polling on a busy one.
    expect(gone - killedAt).toBeGreaterThan(800);
    expect(gone - killedAt).toBeLessThan(8_000);
  });
});
