/**
 * The dashboard's audit trail on the real engines: two Nest apps on one Redis or PostgreSQL,
 * as two replicas, each read the other's actions (who, where, how they ended); and the trail
 * keeps the newest entries only, past its bound.
 */
import 'reflect-metadata';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { Periodic, RoutinesModule, RoutinesRegistry, type Coordinator } from '../../lib';
import type { AuditEntry } from '../../lib/cluster/ports';
import { DashboardAudit, RoutinesCluster, RoutinesDashboardModule } from '../../lib/dashboard';
import { PostgresCoordinator } from '../../lib/postgres';
import { PostgresAuditTrail } from '../../lib/postgres/postgres-audit-trail';
import { coordinatorTables } from '../../lib/postgres/sql/tables';
import { RedisCoordinator } from '../../lib/redis';
import { RedisAuditTrail } from '../../lib/redis/redis-audit-trail';
import { CapturingLogger } from '../e2e/support/e2e';
import {
  connectRedis,
  DATABASE_URL,
  deleteRedisKeys,
  dropSchema,
  ENGINES,
  freePort,
  postgresPool,
  TcpProxy,
  unique,
  waitFor,
  type Engine,
} from './support';
import { Pool } from 'pg';
import type { Redis } from 'ioredis';

jest.setTimeout(60_000);

@Injectable()
class Jobs {
  @Periodic('1h', { name: 'report', runOnStart: false })
  report(): void {}
  @Periodic('1h', { name: 'sweep', scope: 'cluster', runOnStart: false })
  sweep(): void {}
}

let redis: Redis;
let pool: Pool;
const keyPrefix = `${unique('audit')}:`;
const schema = unique('routines_audit_it');
/** The bound's own schema: a table of 5 entries, not the replicas' one. */
const boundSchema = `${schema}_b`;

beforeAll(async () => {
  redis = await connectRedis();
  pool = postgresPool(4);
});
afterAll(async () => {
  await deleteRedisKeys(redis, keyPrefix);
  redis.disconnect();
  await dropSchema(pool, schema);
  await dropSchema(pool, boundSchema);
  await pool.end();
});

function coordinatorOn(engine: Engine): Coordinator {
  return engine === 'redis'
    ? new RedisCoordinator(redis, { keyPrefix })
    : new PostgresCoordinator(pool, { schema });
}

/** An HTTP app with the dashboard, whose operator is the `x-user` header. */
async function replica(engine: Engine): Promise<INestApplication> {
  @Module({
    imports: [
      RoutinesModule.forRoot({ coordinator: coordinatorOn(engine) }),
      RoutinesDashboardModule.forRoot({
        control: true,
        allowUnguardedControl: true,
        operator: (req) => (req as { headers: Record<string, string> }).headers['x-user'],
      }),
    ],
    providers: [Jobs],
  })
  class ReplicaModule {}
  const logger = new CapturingLogger();
  const app = await NestFactory.create(ReplicaModule, { logger, abortOnError: false });
  await app.init();
  return app;
}

describe.each(ENGINES)('the audit trail on %s', (engine) => {
  const apps: INestApplication[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  it("shows each replica's actions on the other's page, newest first", async () => {
    const [a, b] = [await replica(engine), await replica(engine)];
    apps.push(a, b);
    const post = (app: INestApplication, path: string, user: string) =>
      request(app.getHttpServer()).post(`/routines/api/routines/${path}`).set('x-user', user);
    await post(a, 'report/pause', 'alice').send({ note: 'billing API down' }).expect(200);
    await post(b, 'report/interval', 'bob').send({ interval: '1ms' }).expect(400);
    await post(b, 'report/interval', 'bob').send({ interval: '30m' }).expect(200);
    const read = async (app: INestApplication, query = '?routine=report'): Promise<AuditEntry[]> =>
      (await request(app.getHttpServer()).get(`/routines/api/audit${query}`).expect(200)).body
        .entries;
    const expected = [
      expect.objectContaining({
        action: 'interval',
        operator: 'bob',
        from: 3600_000,
        to: '30m',
        outcome: 'ok',
      }),
      expect.objectContaining({
        action: 'interval',
        operator: 'bob',
        outcome: expect.stringContaining("interval '1ms' is under the dashboard's minInterval"),
      }),
      expect.objectContaining({
        action: 'pause',
        operator: 'alice',
        note: 'billing API down',
        scope: 'this replica', // an instance routine: paused where it was asked
        outcome: 'ok',
      }),
    ];
    // B reads its own writes at once; A reads them from the engine.
    expect(await read(b)).toEqual(expected);
    expect(await read(a)).toEqual(expected);
    // A cluster routine's pause is kept for every replica, and the trail says so. The entry is
    // written just after the answer (never holding the action back): A sees it a moment later.
    await post(b, 'sweep/pause', 'carol').expect(200);
    const sweep = await waitFor(
      'the pause on the page of replica a',
      async () => {
        const [latest] = (await read(a, '')) as AuditEntry[];
        return latest?.target === 'sweep' ? latest : undefined;
      },
      10_000,
    );
    expect(sweep).toMatchObject({
      action: 'pause',
      target: 'sweep',
      operator: 'carol',
      scope: 'every replica',
      outcome: 'ok',
    });
    expect(sweep.replica).toBe(b.get(RoutinesCluster).self.id);
  });

  it('keeps the newest entries only, past its bound', async () => {
    const kept = 5;
    const trail =
      engine === 'redis'
        ? new RedisAuditTrail(redis, `${keyPrefix}bound:`, kept)
        : await boundedPostgresTrail(kept);
    const target = unique('routine');
    for (let at = 1; at <= 12; at++) {
      await trail.append({
        at,
        action: 'trigger',
        target,
        scope: 'this replica',
        replica: 'r',
        outcome: 'ok',
      });
    }
    const entries = await trail.list({ limit: 100 });
    expect(entries.map((entry) => entry.at)).toEqual([12, 11, 10, 9, 8]);
  });
});

describe('the audit trail with the database down', () => {
  const proxySchema = `${schema}_down`;
  let proxy: TcpProxy;
  let proxiedPool: Pool;
  let app: INestApplication | undefined;
  afterAll(async () => {
    await app?.close();
    await proxy.stop();
    await proxiedPool.end();
    await dropSchema(pool, proxySchema);
  });

  it('does every action, and says the outage once; entries after it are kept again', async () => {
    const target = new URL(DATABASE_URL);
    proxy = new TcpProxy(await freePort(), {
      host: target.hostname,
      port: Number(target.port || 5432),
    });
    await proxy.start();
    const url = new URL(DATABASE_URL);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    proxiedPool = new Pool({ connectionString: url.toString(), connectionTimeoutMillis: 1000 });
    const coordinator = new PostgresCoordinator(proxiedPool, { schema: proxySchema });
    @Module({
      imports: [
        RoutinesModule.forRoot({ coordinator }),
        RoutinesDashboardModule.forRoot({ control: true, allowUnguardedControl: true }),
      ],
      providers: [Jobs],
    })
    class DownModule {}
    const logger = new CapturingLogger();
    app = await NestFactory.create(DownModule, { logger, abortOnError: false });
    await app.init();
    const registry = app.get(RoutinesRegistry);
    const post = (path: string) =>
      request(app!.getHttpServer()).post(`/routines/api/routines/${path}`);
    await post('report/pause').expect(200);
    await app.get(DashboardAudit).list({ limit: 1 }); // the tables exist, the first entry kept

    await proxy.stop();
    await post('report/resume').expect(200);
    await post('report/pause').expect(200);
    await post('report/resume').expect(200);
    expect(registry.get('report').state).toBe('running');
    // One line per outage, shared with the routines' own calls: whichever failed first opened it
    // (the audit's, unless the cluster routine's hourly slot fell in the test), the rest count.
    const failures = () =>
      logger.entries.filter((entry) => entry.message.includes('the postgres coordinator failed ('));
    await waitFor('the outage to be logged', () => failures().length > 0 || undefined, 20_000);
    await expect(app.get(DashboardAudit).list({ limit: 1 })).rejects.toThrow(
      /the audit trail could not be read/,
    );
    expect(failures()).toHaveLength(1);
    expect(failures()[0].level).toBe('warn');

    await proxy.start();
    await post('report/pause').expect(200);
    const entries = await app.get(DashboardAudit).list({ limit: 10, target: 'report' });
    // The first pause and the last: the three done during the outage are in the log only.
    expect(entries.map((entry) => entry.action)).toEqual(['pause', 'pause']);
  });
});

/** A PostgreSQL trail of `kept` entries on a table of its own (created with the coordinator's tables). */
async function boundedPostgresTrail(kept: number): Promise<PostgresAuditTrail> {
  const coordinator = new PostgresCoordinator(pool, { schema: boundSchema });
  await coordinator.audit.list({ limit: 1 }); // creates the tables
  const tables = coordinatorTables({
    schema: boundSchema,
    slotTable: 'routines_slots',
    leaseTable: 'routines_leases',
    replicaTable: 'routines_replicas',
    controlTable: 'routines_controls',
    migrationTable: 'routines_migrations',
    runTable: 'routines_runs',
    historyTable: 'routines_run_history',
    auditTable: 'routines_audit',
  });
  return new PostgresAuditTrail(
    async (text, values) => {
      const result = await pool.query(text, values);
      return { rows: result.rows, rowCount: result.rowCount };
    },
    tables.audit,
    kept,
  );
}
