/**
 * The PostgreSQL coordinator's tables, as its statements name them: each `"schema"."table"`,
 * quoted. The names were checked as identifiers (`[A-Za-z_][A-Za-z0-9_]{0,62}`) before they
 * get here: identifiers are the only text the statement modules of this folder interpolate;
 * every value is a parameter.
 */
export interface CoordinatorTables {
  /** The schema, unquoted (checked as an identifier). */
  readonly schemaName: string;
  /** Claimed periodic slots: (routine, slot) → claim. */
  readonly slots: string;
  /** The slot table's index on `expires_at`, unqualified and quoted. */
  readonly slotExpiresIndex: string;
  /** Background leases, one row per routine. */
  readonly leases: string;
  /** One row: when the tables were created (a loss of the tables shows as a newer time). */
  readonly since: string;
  readonly replicas: string;
  readonly controls: string;
  readonly migrations: string;
  readonly migrationErrors: string;
  /** The migration errors' index, unqualified and quoted. */
  readonly migrationErrorIndex: string;
  readonly runs: string;
  /** The run history: raw runs, and their hourly and daily stats (`<history>_stats`). */
  readonly history: string;
  readonly historyStats: string;
  /** The dashboard's audit trail, and its index by target (unqualified, quoted). */
  readonly audit: string;
  readonly auditTargetIndex: string;
}

/** The table names a coordinator was configured with (identifiers, unquoted). */
export interface CoordinatorTableNames {
  schema: string;
  slotTable: string;
  leaseTable: string;
  replicaTable: string;
  controlTable: string;
  migrationTable: string;
  runTable: string;
  historyTable: string;
  auditTable: string;
}

/** Quotes and qualifies the names; derived names are cut to PostgreSQL's 63 bytes. */
export function coordinatorTables(names: CoordinatorTableNames): CoordinatorTables {
  const table = (name: string): string => `${quote(names.schema)}.${quote(name.slice(0, 63))}`;
  return {
    schemaName: names.schema,
    slots: table(names.slotTable),
    slotExpiresIndex: quote(`${names.slotTable}_expires_at_idx`.slice(0, 63)),
    leases: table(names.leaseTable),
    since: table(`${names.leaseTable}_since`),
    replicas: table(names.replicaTable),
    controls: table(names.controlTable),
    migrations: table(names.migrationTable),
    migrationErrors: table(`${names.migrationTable}_errors`),
    migrationErrorIndex: quote(`${names.migrationTable}_errors_idx`.slice(0, 63)),
    runs: table(names.runTable),
    history: table(names.historyTable),
    historyStats: table(`${names.historyTable}_stats`),
    audit: table(names.auditTable),
    auditTargetIndex: quote(`${names.auditTable}_target_idx`.slice(0, 63)),
  };
}

function quote(identifier: string): string {
  return `"${identifier}"`;
}
