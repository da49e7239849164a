import type { Clock } from '../core/clock';
import type { ReplicaDirectory } from './ports';

/** The replicas of one process (one app, or several apps in one test), expiring on its clock. */
export class InMemoryReplicaDirectory implements ReplicaDirectory {
  private readonly snapshots = new Map<string, { snapshot: string; expiresAt: number }>();

  constructor(private readonly clock: Clock) {}

  async publish(id: string, snapshot: string, ttlMs: number): Promise<void> {
    this.snapshots.set(id, { snapshot, expiresAt: this.clock.now() + ttlMs });
  }

  async withdraw(id: string): Promise<void> {
    this.snapshots.delete(id);
  }

  async list(): Promise<string[]> {
    const now = this.clock.now();
    const live: string[] = [];
    for (const [id, { snapshot, expiresAt }] of this.snapshots) {
      if (expiresAt > now) live.push(snapshot);
      else this.snapshots.delete(id);
    }
    return live;
  }
}
