import { AUDIT_ENTRIES_KEPT, type AuditEntry, type AuditQuery, type AuditTrail } from './ports';

/**
 * The audit trail of one process: the in-memory coordinator's, and the dashboard's own when
 * the engine keeps none. The newest `capacity` entries.
 */
export class InMemoryAuditTrail implements AuditTrail {
  /** Oldest first: an append is a push. */
  private readonly entries: AuditEntry[] = [];

  constructor(private readonly capacity = AUDIT_ENTRIES_KEPT) {}

  async append(entry: AuditEntry): Promise<void> {
    this.entries.push({ ...entry });
    // One at a time past the bound: a splice of one, not a copy of the whole array.
    if (this.entries.length > this.capacity)
      this.entries.splice(0, this.entries.length - this.capacity);
  }

  async list({ limit, target, before }: AuditQuery): Promise<AuditEntry[]> {
    const found: AuditEntry[] = [];
    for (let i = this.entries.length - 1; i >= 0 && found.length < limit; i--) {
      const entry = this.entries[i];
      if (target !== undefined && entry.target !== target) continue;
      if (before !== undefined && entry.at >= before) continue;
      found.push({ ...entry });
    }
    return found;
  }
}
