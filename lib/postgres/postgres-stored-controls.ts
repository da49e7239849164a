import type { StoredControls } from '../cluster/ports';
import { listControlsSql } from './sql/list-controls.sql';
import { setControlSql } from './sql/set-control.sql';
import type { PostgresQuery } from './postgres-query';

/** Routine controls in a table of the coordinator's schema, created with its other tables. */
export class PostgresStoredControls implements StoredControls {
  private readonly sql: Record<'set' | 'all', string>;

  constructor(
    private readonly query: PostgresQuery,
    controls: string,
  ) {
    this.sql = { set: setControlSql(controls), all: listControlsSql(controls) };
  }

  async set(routine: string, control: string): Promise<void> {
    await this.query(this.sql.set, [routine, control]);
  }

  async all(): Promise<Map<string, string>> {
    const { rows } = await this.query<{ routine: string; control: string }>(this.sql.all, []);
    return new Map(rows.map((row) => [row.routine, row.control]));
  }
}
