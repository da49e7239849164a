import type { ReplicaDirectory } from '../core/coordinator';
import { wholeMilliseconds } from './coordination.errors';
import { listControlsSql } from '../postgres/sql/list-controls.sql';
import { listReplicasSql } from '../postgres/sql/list-replicas.sql';
import { publishReplicaSql } from '../postgres/sql/publish-replica.sql';
import { setControlSql } from '../postgres/sql/set-control.sql';
import { withdrawReplicaSql } from '../postgres/sql/withdraw-replica.sql';

type Query = <Row extends Record<string, unknown>>(
  text: string,
  values: unknown[],
) => Promise<{ rows: Row[] }>;

/**
 * Replicas and routine controls in two tables of the coordinator's schema, created with its
 * other tables. Expiry runs on the database clock; publishing prunes replicas gone for a minute.
 */
export class PostgresReplicaDirectory implements ReplicaDirectory {
  private readonly sql: Record<'publish' | 'withdraw' | 'list' | 'setControl' | 'controls', string>;

  constructor(
    private readonly query: Query,
    replicas: string,
    controls: string,
  ) {
    this.sql = {
      publish: publishReplicaSql(replicas),
      withdraw: withdrawReplicaSql(replicas),
      list: listReplicasSql(replicas),
      setControl: setControlSql(controls),
      controls: listControlsSql(controls),
    };
  }

  async publish(id: string, snapshot: string, ttlMs: number): Promise<void> {
    await this.query(this.sql.publish, [id, snapshot, wholeMilliseconds(ttlMs)]);
  }

  async withdraw(id: string): Promise<void> {
    await this.query(this.sql.withdraw, [id]);
  }

  async list(): Promise<string[]> {
    const { rows } = await this.query<{ snapshot: string }>(this.sql.list, []);
    return rows.map((row) => row.snapshot);
  }

  async setControl(routine: string, control: string): Promise<void> {
    await this.query(this.sql.setControl, [routine, control]);
  }

  async controls(): Promise<Map<string, string>> {
    const { rows } = await this.query<{ routine: string; control: string }>(this.sql.controls, []);
    return new Map(rows.map((row) => [row.routine, row.control]));
  }
}
