import type { Clock, Coordinator } from '../../core';
import type { ReplicaIdentity } from '../../controls/interfaces/replica-identity.interface';

/**
 * @internal What an integration (the dashboard) needs from the registry's lifecycle: async work
 * awaited before routines first start, and a synchronous call right after any of them starts
 * (at bootstrap, `add`, `start`, `restart`), before its first tick can fire.
 */
export interface RegistryPlugin {
  prepare?(): Promise<void>;
  started?(names: readonly string[]): void;
}

/** @internal What the module built the routines with, for integrations. */
export interface RegistryRuntime {
  clock: Clock;
  coordinator: Coordinator;
  version?: string;
  /** This process as the replicas know it (the run history's `replica`). */
  replica?: ReplicaIdentity;
}
