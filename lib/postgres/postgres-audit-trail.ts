import { parseAuditEntry } from '../cluster/audit-entry-text';
import {
  AUDIT_ENTRIES_KEPT,
  type AuditEntry,
  type AuditQuery,
  type AuditTrail,
} from '../cluster/ports';
import { appendAuditSql } from './sql/append-audit.sql';
import { listAuditSql } from './sql/list-audit.sql';
import type { PostgresQuery } from './postgres-query';

/** The audit trail in a table of the coordinator's schema, created with its other tables; the newest `kept` rows. */
export class PostgresAuditTrail implements AuditTrail {
  private readonly sql: Record<'append' | 'list', string>;

  constructor(
    private readonly query: PostgresQuery,
    audit: string,
    private readonly kept = AUDIT_ENTRIES_KEPT,
  ) {
    this.sql = { append: appendAuditSql(audit), list: listAuditSql(audit) };
  }

  async append(entry: AuditEntry): Promise<void> {
    await this.query(this.sql.append, [entry.at, entry.target, JSON.stringify(entry), this.kept]);
  }

  async list({ limit, target, before }: AuditQuery): Promise<AuditEntry[]> {
    const { rows } = await this.query<{ entry: string }>(this.sql.list, [
      target ?? null,
      before ?? null,
      limit,
    ]);
    return rows.map((row) => parseAuditEntry(row.entry)).filter((entry) => !!entry);
  }
}
