import type { Pool, PoolClient } from 'pg';
import { PostgresCoordinator } from '../../lib/postgres/postgres.coordinator';
import { DEFAULT_WORKER_COLUMNS, workerTableSql } from '../../lib/worker/worker-table';
import { coordinatorTables } from '../../lib/postgres/sql/tables';
import { acquireLeaseSql } from '../../lib/postgres/sql/acquire-lease.sql';
import { addMigrationErrorSql } from '../../lib/postgres/sql/add-migration-error.sql';
import { claimSlotsSql } from '../../lib/postgres/sql/claim-slots.sql';
import { completeLeaseSql } from '../../lib/postgres/sql/complete-lease.sql';
import { createTablesSql } from '../../lib/postgres/sql/create-tables.sql';
import { existingTablesSql } from '../../lib/postgres/sql/existing-tables.sql';
import { insertRunMarkersSql } from '../../lib/postgres/sql/insert-run-markers.sql';
import { listControlsSql } from '../../lib/postgres/sql/list-controls.sql';
import { listMigrationsSql } from '../../lib/postgres/sql/list-migrations.sql';
import { listReplicasSql } from '../../lib/postgres/sql/list-replicas.sql';
import { listReplicasExpiringSql } from '../../lib/postgres/sql/list-replicas-expiring.sql';
import { migrationErrorsSql } from '../../lib/postgres/sql/migration-errors.sql';
import { pruneSlotsSql } from '../../lib/postgres/sql/prune-slots.sql';
import { publishReplicaSql } from '../../lib/postgres/sql/publish-replica.sql';
import { readRunMarkersSql } from '../../lib/postgres/sql/read-run-markers.sql';
import { registerMigrationSql } from '../../lib/postgres/sql/register-migration.sql';
import { releaseLeaseSql } from '../../lib/postgres/sql/release-lease.sql';
import { releaseSlotSql } from '../../lib/postgres/sql/release-slot.sql';
import { renewLeaseSql } from '../../lib/postgres/sql/renew-lease.sql';
import { resetCompletionSql } from '../../lib/postgres/sql/reset-completion.sql';
import { setControlSql } from '../../lib/postgres/sql/set-control.sql';
import { setMigrationDirectionSql } from '../../lib/postgres/sql/set-migration-direction.sql';
import { setMigrationProgressSql } from '../../lib/postgres/sql/set-migration-progress.sql';
import { withdrawReplicaSql } from '../../lib/postgres/sql/withdraw-replica.sql';
import { writeRunMarkersSql } from '../../lib/postgres/sql/write-run-markers.sql';
import { quotedColumns, type JobTable } from '../../lib/postgres/sql/worker/job-table';
import { cancelJobSql } from '../../lib/postgres/sql/worker/cancel-job.sql';
import { completeJobsSql } from '../../lib/postgres/sql/worker/complete-jobs.sql';
import { countJobsSql } from '../../lib/postgres/sql/worker/count-jobs.sql';
import { dequeueJobsSql } from '../../lib/postgres/sql/worker/dequeue-jobs.sql';
import { enqueueJobSql } from '../../lib/postgres/sql/worker/enqueue-job.sql';
import { failJobSql } from '../../lib/postgres/sql/worker/fail-job.sql';
import { heartbeatJobsSql } from '../../lib/postgres/sql/worker/heartbeat-jobs.sql';
import { jobsTableSql } from '../../lib/postgres/sql/worker/jobs-table.sql';
import { requeueJobSql } from '../../lib/postgres/sql/worker/requeue-job.sql';
import { resetStalledJobsSql } from '../../lib/postgres/sql/worker/reset-stalled-jobs.sql';
import { tableColumnsSql } from '../../lib/postgres/sql/worker/table-columns.sql';
import { appendAuditSql } from '../../lib/postgres/sql/append-audit.sql';
import { listAuditSql } from '../../lib/postgres/sql/list-audit.sql';
import { dropSchema, postgresPool, unique } from './support';

// Each statement module alone against the real server: every statement parses, its
// identifiers resolve and its parameters' types are inferred (PREPARE, then DEALLOCATE), in a
// schema of its own once the tables exist. What each statement does is the coordinators' and
// workers' tests' business.

const schema = unique('statements');
const tables = coordinatorTables({
  schema,
  slotTable: 'routines_slots',
  leaseTable: 'routines_leases',
  replicaTable: 'routines_replicas',
  controlTable: 'routines_controls',
  migrationTable: 'routines_migrations',
  runTable: 'routines_runs',
  historyTable: 'routines_run_history',
  auditTable: 'routines_audit',
});

function jobTable(table: string, byQueue: boolean): JobTable {
  return {
    table,
    c: quotedColumns(DEFAULT_WORKER_COLUMNS),
    idType: 'bigint',
    order: byQueue ? '"priority" DESC, "queued_at", "id"' : '"queued_at", "id"',
    byQueue,
  };
}

const coordinatorStatements: Array<[string, string]> = [
  ['claim slots', claimSlotsSql(tables)],
  ['release slot', releaseSlotSql(tables)],
  ['prune slots', pruneSlotsSql(tables)],
  ['acquire lease', acquireLeaseSql(tables)],
  ['renew lease', renewLeaseSql(tables)],
  ['release lease', releaseLeaseSql(tables)],
  ['complete lease', completeLeaseSql(tables)],
  ['reset completion', resetCompletionSql(tables)],
  ['existing tables', existingTablesSql()],
  ['read run markers', readRunMarkersSql(tables.runs)],
  ['insert run markers', insertRunMarkersSql(tables.runs)],
  ['write run markers', writeRunMarkersSql(tables.runs)],
  ['register migration', registerMigrationSql(tables.migrations)],
  ['list migrations', listMigrationsSql(tables.migrations)],
  ['set migration progress', setMigrationProgressSql(tables.migrations)],
  ['add migration error', addMigrationErrorSql(tables.migrationErrors)],
  ['migration errors', migrationErrorsSql(tables.migrationErrors)],
  ['set migration direction', setMigrationDirectionSql(tables.migrations)],
  ['publish replica', publishReplicaSql(tables.replicas)],
  ['withdraw replica', withdrawReplicaSql(tables.replicas)],
  ['list replicas', listReplicasSql(tables.replicas)],
  ['list replicas expiring', listReplicasExpiringSql(tables.replicas)],
  ['set control', setControlSql(tables.controls)],
  ['list controls', listControlsSql(tables.controls)],
  ['append audit', appendAuditSql(tables.audit)],
  ['list audit', listAuditSql(tables.audit)],
];

const appTable = `"${schema}"."uploads"`;
const jobsTable = `"${schema}"."routines_jobs"`;
const workerStatements: Array<[string, string]> = [
  ['table columns', tableColumnsSql()],
  ['enqueue job', enqueueJobSql(jobsTable, 'routines_worker')],
  ...([false, true] as const).flatMap((byQueue): Array<[string, string]> => {
    const t = jobTable(byQueue ? jobsTable : appTable, byQueue);
    const on = byQueue ? 'a queue' : "an app's table";
    return [
      [`dequeue jobs (${on})`, dequeueJobsSql(t)],
      [`heartbeat jobs (${on})`, heartbeatJobsSql(t)],
      [`complete jobs (${on})`, completeJobsSql(t)],
      [`fail job (${on})`, failJobSql(t)],
      [`cancel job (${on})`, cancelJobSql(t)],
      [`requeue job (${on})`, requeueJobSql(t)],
      [`reset stalled jobs (${on})`, resetStalledJobsSql(t)],
      [`count jobs (${on})`, countJobsSql(t)],
    ];
  }),
];

describe('PostgreSQL statements, each alone against the server', () => {
  let pool: Pool;
  let client: PoolClient;

  beforeAll(async () => {
    pool = postgresPool(2);
    client = await pool.connect();
    await client.query(createTablesSql(tables));
    await client.query(`CREATE TABLE "${schema}"."uploads" (id bigserial PRIMARY KEY, name text)`);
    await client.query(workerTableSql(`${schema}.uploads`));
    await client.query(jobsTableSql(`${schema}.routines_jobs`));
  });

  afterAll(async () => {
    client?.release();
    if (pool) {
      await dropSchema(pool, schema);
      await pool.end();
    }
  });

  it.each([...coordinatorStatements, ...workerStatements])(
    '%s: parses (PREPARE)',
    async (_, sql) => {
      await client.query(`PREPARE checked AS ${sql}`);
      await client.query('DEALLOCATE checked');
    },
  );

  it('the DDL is idempotent: the coordinator runs it again on tables that exist', async () => {
    await client.query(createTablesSql(tables));
    await client.query(jobsTableSql(`${schema}.routines_jobs`));
    const coordinator = new PostgresCoordinator(pool, { schema });
    expect(coordinator.tablesSql()).toBe(createTablesSql(tables));
  });
});
