import type { ReplicaDirectory } from '../core/coordinator';
import { wholeMilliseconds } from './coordination.errors';

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
      publish:
        `WITH gone AS (DELETE FROM ${replicas} WHERE expires_at < now() - interval '1 minute' AND id <> $1) ` +
        `INSERT INTO ${replicas} (id, snapshot, expires_at) VALUES ($1, $2, now() + $3::float8 * interval '1 millisecond') ` +
        `ON CONFLICT (id) DO UPDATE SET snapshot = EXCLUDED.snapshot, expires_at = EXCLUDED.expires_at`,
      withdraw: `DELETE FROM ${replicas} WHERE id = $1`,
      list: `SELECT snapshot FROM ${replicas} WHERE expires_at > now() ORDER BY id`,
      setControl:
        `INSERT INTO ${controls} (routine, control, updated_at) VALUES ($1, $2, now()) ` +
        `ON CONFLICT (routine) DO UPDATE SET control = EXCLUDED.control, updated_at = EXCLUDED.updated_at`,
      controls: `SELECT routine, control FROM ${controls}`,
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
