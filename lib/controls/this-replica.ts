import { Injectable } from '@nestjs/common';
import { RoutinesRegistry } from '../nest/routines.registry';
import type { RegistryRuntime } from '../nest/interfaces/registry-plugin.interface';
import type { ReplicaIdentity } from './interfaces/replica-identity.interface';
import { replicaIdentity } from '../nest/replica-identity';

export { replicaIdentity };

/**
 * This process as the other replicas know it, and what its routines run with. One instance is
 * shared by the controls and the replica directory, so that a control's `by` and a snapshot's
 * `id` name the same replica.
 */
@Injectable()
export class ThisReplica {
  private identity: ReplicaIdentity | undefined;

  constructor(private readonly registry: RoutinesRegistry) {}

  /**
   * Who this replica is. Fixed once the routines module has built its routines (the clock and
   * version are known then); before that, a provisional one that is not kept.
   */
  get self(): ReplicaIdentity {
    const runtime = this.registry.runtime;
    return runtime ? this.fix(runtime) : replicaIdentity(Date.now(), undefined);
  }

  /**
   * @internal The clock and coordinator, once built, when the coordinator is shared by processes: the
   * in-memory one is per process (one replica, nothing to share). Fixes this replica's identity.
   */
  get sharedRuntime(): RegistryRuntime | undefined {
    const runtime = this.registry.runtime;
    if (!runtime) return undefined;
    this.fix(runtime);
    return runtime.coordinator.kind !== 'memory' ? runtime : undefined;
  }

  private fix(runtime: RegistryRuntime): ReplicaIdentity {
    // The module's own identity, which the run history's records carry too.
    this.identity ??= runtime.replica ?? replicaIdentity(runtime.clock.wallNow(), runtime.version);
    return this.identity;
  }

  /** The routines' wall clock, or the system's before they are built. */
  wallNow(): number {
    return this.registry.runtime?.clock.wallNow() ?? Date.now();
  }
}
