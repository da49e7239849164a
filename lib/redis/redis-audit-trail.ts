import {
  AUDIT_ENTRIES_KEPT,
  type AuditEntry,
  type AuditQuery,
  type AuditTrail,
} from '../cluster/ports';
import type { RedisClient } from './redis-client';
import { APPEND_AUDIT_LUA } from './lua/append-audit.lua';
import { parseAuditEntry } from '../cluster/audit-entry-text';

const APPEND_AUDIT_COMMAND = 'nestjsRoutinesAppendAudit';
/** Entries read per LRANGE while looking for one routine's: a page's worth, not the whole list. */
const READ_CHUNK = 500;

interface ScriptedClient {
  [APPEND_AUDIT_COMMAND](audit: string, entry: string, kept: number): Promise<unknown>;
  lrange(key: string, start: number, stop: number): Promise<string[]>;
}

/**
 * The audit trail in one capped list, newest first, `<prefix>{audit}` (one hash slot on a Redis
 * Cluster), with no expiry: the oldest entries fall off past `kept`.
 */
export class RedisAuditTrail implements AuditTrail {
  private readonly scripted: ScriptedClient;
  private readonly auditKey: string;

  constructor(
    client: RedisClient,
    prefix: string,
    private readonly kept = AUDIT_ENTRIES_KEPT,
  ) {
    client.defineCommand(APPEND_AUDIT_COMMAND, { numberOfKeys: 1, lua: APPEND_AUDIT_LUA });
    this.scripted = client as unknown as ScriptedClient;
    this.auditKey = `${prefix}{audit}`;
  }

  async append(entry: AuditEntry): Promise<void> {
    await this.scripted[APPEND_AUDIT_COMMAND](this.auditKey, JSON.stringify(entry), this.kept);
  }

  /** Reads the list a chunk at a time, newest first, until `limit` entries match or it ends. */
  async list({ limit, target, before }: AuditQuery): Promise<AuditEntry[]> {
    const found: AuditEntry[] = [];
    const chunk = target === undefined && before === undefined ? limit : READ_CHUNK;
    for (let start = 0; found.length < limit && start < this.kept; start += chunk) {
      const texts = await this.scripted.lrange(this.auditKey, start, start + chunk - 1);
      for (const text of texts) {
        const entry = parseAuditEntry(text);
        if (!entry || (target !== undefined && entry.target !== target)) continue;
        if (before !== undefined && entry.at >= before) continue;
        found.push(entry);
        if (found.length === limit) break;
      }
      if (texts.length < chunk) break;
    }
    return found;
  }
}
