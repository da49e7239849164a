import type { ReplicaDirectory } from '../cluster/ports';
import { wholeMilliseconds } from '../cluster/coordination.errors';
import { listReplicasSql } from './sql/list-replicas.sql';
import { listReplicasExpiringSql } from './sql/list-replicas-expiring.sql';
import { publishReplicaSql } from './sql/publish-replica.sql';
import { withdrawReplicaSql } from './sql/withdraw-replica.sql';
import type { PostgresQuery } from './postgres-query';

/**
 * Replicas in a table of the coordinator's schema, created with its other tables. Expiry runs
 * on the database clock; publishing prunes replicas gone for a minute.
 */
export class PostgresReplicaDirectory implements ReplicaDirectory {
  private readonly sql: Record<'publish' | 'withdraw' | 'list' | 'listExpiring', string>;

  constructor(
    private readonly query: PostgresQuery,
    replicas: string,
  ) {
    this.sql = {
      publish: publishReplicaSql(replicas),
      withdraw: withdrawReplicaSql(replicas),
      list: listReplicasSql(replicas),
      listExpiring: listReplicasExpiringSql(replicas),
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

  async listExpiring(): Promise<Array<{ snapshot: string; expiresInMs: number }>> {
    const { rows } = await this.query<{ snapshot: string; expires_in_ms: string | number }>(
      this.sql.listExpiring,
      [],
    );
    // numeric arrives as a string from pg: Number() either way.
    return rows.map((row) => ({ snapshot: row.snapshot, expiresInMs: Number(row.expires_in_ms) }));
  }
}
