import type { AuditEntry } from './ports';

/** An audit entry read back from an engine, or undefined for text that is not one (another version's, corrupt). */
export function parseAuditEntry(text: string): AuditEntry | undefined {
  try {
    const entry = JSON.parse(text) as AuditEntry;
    return typeof entry === 'object' && entry !== null && typeof entry.at === 'number'
      ? entry
      : undefined;
  } catch {
    return undefined;
  }
}
