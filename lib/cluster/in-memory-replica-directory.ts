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
    return (await this.listExpiring()).map(({ snapshot }) => snapshot);
  }

  async listExpiring(): Promise<Array<{ snapshot: string; expiresInMs: number }>> {
    const now = this.clock.now();
    const live: Array<{ snapshot: string; expiresInMs: number }> = [];
    for (const [id, { snapshot, expiresAt }] of this.snapshots) {
      if (expiresAt > now) live.push({ snapshot, expiresInMs: expiresAt - now });
      else this.snapshots.delete(id);
    }
    return live;
  }
}
