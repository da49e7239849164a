import { Inject, Injectable, Logger } from '@nestjs/common';
import { reportCoordinatorFailure, reportCoordinatorSuccess } from '../cluster/coordinator-outage';
import { InMemoryAuditTrail } from '../cluster/in-memory-audit-trail';
import type { AuditEntry, AuditQuery, AuditTrail } from '../cluster/ports';
import { coordinatorCall, ThisReplica } from '../controls';
import { RoutinesRegistry } from '../nest/routines.registry';
import { MESSAGES } from './dashboard.messages';
import { DASHBOARD_SETTINGS, type ResolvedDashboardSettings } from './dashboard.settings';
import { operatorOf } from './operator';

export type { AuditEntry } from '../cluster/ports';

/** An action to record: the entry but for what the audit fills in (when, who, which replica). */
export type AuditedAction = Omit<AuditEntry, 'at' | 'operator' | 'replica'>;

/**
 * The dashboard's audit trail: every action, who did it (the `operator` option) and how it
 * ended, kept by the coordinator (Redis, PostgreSQL: every replica's page shows every
 * replica's actions) or in this process. A write never holds the action back nor fails it:
 * it goes out after the action, and an engine that is down is logged once per outage.
 * Controllers of the dashboard call `record`; each action is logged too.
 *
 * @example
 * constructor(private readonly audit: DashboardAudit) {}
 * this.audit.record(request, { action: 'retry', target: 'upload-processor', scope: 'every replica', outcome: 'ok' });
 */
@Injectable()
export class DashboardAudit {
  private readonly logger = new Logger('RoutinesDashboard');
  /** Where entries go without an engine's trail (made on first use). */
  private local: InMemoryAuditTrail | undefined;
  /**
   * The last write: each waits for the one before, so this replica's entries reach the engine in
   * the order of its actions; a read here waits for it, so a page sees its own action at once.
   */
  private written: Promise<void> = Promise.resolve();

  /** @internal Made by Nest's injector. */
  constructor(
    private readonly registry: RoutinesRegistry,
    private readonly replica: ThisReplica,
    @Inject(DASHBOARD_SETTINGS) private readonly settings: ResolvedDashboardSettings,
  ) {}

  /** Who sent `request`, as the `operator` option tells it; undefined when it cannot. */
  operator(request: unknown): string | undefined {
    return operatorOf(this.settings.operator, request);
  }

  /** Logs the action and appends it to the trail (without waiting); returns the entry as kept. */
  record(request: unknown, action: AuditedAction): AuditEntry {
    const entry: AuditEntry = {
      at: this.replica.wallNow(),
      ...withoutUndefined(action),
      replica: this.replica.self.id,
    };
    const operator = this.operator(request);
    if (operator !== undefined) entry.operator = operator;
    this.logger.log(MESSAGES.audited(entry));
    // `append` never rejects: a failure is reported there, and the next write goes on.
    this.written = this.written.then(() => this.append(entry));
    return entry;
  }

  /** The newest entries first, of one routine (worker, migration) or all, older than `before` if given. */
  async list(query: AuditQuery): Promise<AuditEntry[]> {
    await this.written;
    const { trail, shared } = this.trail();
    if (!shared) return trail.list(query);
    try {
      return await this.call('read the audit trail', () => trail.list(query));
    } catch (error) {
      // Not this replica's problem to hide: the page says the trail cannot be read.
      throw new Error(
        MESSAGES.auditUnreadable(error instanceof Error ? error.message : String(error)),
      );
    }
  }

  private async append(entry: AuditEntry): Promise<void> {
    const { trail, shared } = this.trail();
    if (!shared) return trail.append(entry);
    const runtime = this.registry.runtime!;
    const logger = this.logger;
    try {
      await this.call('record an audit entry', () => trail.append(entry));
      reportCoordinatorSuccess(runtime.coordinator, runtime.clock, logger);
    } catch (error) {
      // The action is done: the entry is lost (it is in the log), the outage said once.
      reportCoordinatorFailure(
        runtime.coordinator,
        runtime.clock,
        logger,
        'record an audit entry',
        error,
      );
    }
  }

  /** The coordinator's trail once the routines are built, else this process's. */
  private trail(): { trail: AuditTrail; shared: boolean } {
    const audit = this.registry.runtime?.coordinator.audit;
    if (audit) return { trail: audit, shared: true };
    this.local ??= new InMemoryAuditTrail();
    return { trail: this.local, shared: false };
  }

  private call<T>(what: string, call: () => Promise<T>): Promise<T> {
    return coordinatorCall(this.registry.runtime!.clock, what, call);
  }
}

function withoutUndefined(action: AuditedAction): AuditedAction {
  const kept = { ...action };
  for (const key of Object.keys(kept) as (keyof AuditedAction)[]) {
    if (kept[key] === undefined) delete kept[key];
  }
  return kept;
}
