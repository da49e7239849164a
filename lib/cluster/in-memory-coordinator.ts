import { systemClock, type Clock } from '../core/clock';
import { newToken } from './new-token';
import type {
  AcquireOptions,
  AuditTrail,
  CompletedRoutine,
  Coordinator,
  Lease,
  ReplicaDirectory,
  RunHistoryStore,
  RunMarkers,
  StoredControls,
} from './ports';
import { InMemoryAuditTrail } from './in-memory-audit-trail';
import { InMemoryReplicaDirectory } from './in-memory-replica-directory';
import { InMemoryRunHistory } from './in-memory-run-history';
import { InMemoryRunMarkers } from './in-memory-run-markers';
import { InMemoryStoredControls } from './in-memory-stored-controls';

interface HeldSlot {
  expiresAt: number;
  /** The claimant's token; undefined when it gave none. */
  token: string | undefined;
}

interface HeldLease {
  token: string;
  expiresAt: number;
}

/**
 * The default coordinator: exclusivity within one process only. Right for a single replica
 * and for tests; with several replicas every replica would run every cluster routine, so
 * the module warns when cluster routines run on it.
 */
export class InMemoryCoordinator implements Coordinator {
  readonly kind = 'memory';
  private readonly slots = new Map<string, HeldSlot>();
  private readonly leases = new Map<string, HeldLease>();
  private readonly epochs = new Map<string, number>();
  private readonly completions = new Map<string, string>();
  private claimsSinceSweep = 0;
  /** Replicas of this process (one app, or several apps in one test). */
  readonly replicas: ReplicaDirectory;
  /** The controls set on the routines of this process. */
  readonly controls: StoredControls;
  /** Cluster-wide overlap among the routines of this process. */
  readonly runs: RunMarkers;
  /**
   * Run history of this process's replicas. The module writes to it only when asked
   * (`history: { engine: true }`): in one process the ring already holds the same runs.
   */
  readonly history: RunHistoryStore;
  /** The dashboard's actions on the routines of this process. */
  readonly audit: AuditTrail;

  constructor(private readonly clock: Clock = systemClock) {
    this.replicas = new InMemoryReplicaDirectory(clock);
    this.controls = new InMemoryStoredControls();
    this.runs = new InMemoryRunMarkers(clock);
    this.history = new InMemoryRunHistory();
    this.audit = new InMemoryAuditTrail();
  }

  async claimSlot(routine: string, slot: number, ttlMs: number, token?: string): Promise<boolean> {
    const now = this.clock.now();
    this.sweepNowAndThen(now);
    const key = `${routine}\u0000${slot}`;
    const held = this.slots.get(key);
    if (held !== undefined && held.expiresAt > now) return false;
    this.slots.set(key, { expiresAt: now + ttlMs, token });
    return true;
  }

  async releaseSlot(routine: string, slot: number, token?: string): Promise<void> {
    const key = `${routine}\u0000${slot}`;
    if (token === undefined || this.slots.get(key)?.token === token) this.slots.delete(key);
  }

  async acquireLease(
    routine: string,
    ttlMs: number,
    options: AcquireOptions = {},
  ): Promise<Lease | CompletedRoutine | null> {
    const version = options.version ?? '';
    if (this.completions.get(routine) === version) return { completed: true, version };
    const now = this.clock.now();
    const held = this.leases.get(routine);
    if (held && held.expiresAt > now) return null;
    const epoch = (this.epochs.get(routine) ?? 0) + 1;
    this.epochs.set(routine, epoch);
    const token = newToken();
    this.leases.set(routine, { token, expiresAt: now + ttlMs });
    return { routine, token, epoch };
  }

  async renewLease(lease: Lease, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    const held = this.leases.get(lease.routine);
    if (!held || held.token !== lease.token || held.expiresAt <= now) return false;
    held.expiresAt = now + ttlMs;
    return true;
  }

  async releaseLease(lease: Lease): Promise<void> {
    if (this.leases.get(lease.routine)?.token === lease.token) this.leases.delete(lease.routine);
  }

  async completeLease(lease: Lease, version: string): Promise<boolean> {
    if (this.leases.get(lease.routine)?.token !== lease.token) return false;
    this.completions.set(lease.routine, version);
    this.leases.delete(lease.routine);
    return true;
  }

  async resetCompletion(routine: string): Promise<void> {
    this.completions.delete(routine);
  }

  private sweepNowAndThen(now: number): void {
    if (++this.claimsSinceSweep < 1024) return;
    this.claimsSinceSweep = 0;
    for (const [key, held] of this.slots) if (held.expiresAt <= now) this.slots.delete(key);
  }
}
