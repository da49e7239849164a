import type { Coordinator, StoredControls } from '../cluster/ports';

export type { StoredControls } from '../cluster/ports';

/**
 * The coordinator's stored controls, when it shares replicas too: controls are applied by
 * every replica of a cluster, so an engine that cannot list the replicas keeps them here only.
 */
export function storedControlsOf(coordinator: Coordinator): StoredControls | undefined {
  return coordinator.replicas ? coordinator.controls : undefined;
}
