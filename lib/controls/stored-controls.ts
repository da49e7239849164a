import type { Coordinator } from '../core';

// port: replaced by lib/cluster/ports on merge
/**
 * Where the coordinator keeps the operators' controls, for every replica to read. Controls are
 * never deleted, only overwritten: an empty set after a non-empty one means the engine lost them.
 */
export interface StoredControls {
  /** Stores one control (`pause:<routine>` or `interval:<routine>`) as JSON text. */
  set(routine: string, control: string): Promise<void>;
  /** Every control stored, key → JSON text. */
  all(): Promise<Map<string, string>>;
}

// port: replaced by lib/cluster/ports on merge (the coordinator's own `controls`).
/** The coordinator's stored controls, read today through its replica directory. */
export function storedControlsOf(coordinator: Coordinator): StoredControls | undefined {
  const directory = coordinator.replicas;
  if (!directory) return undefined;
  return {
    set: (key, text) => directory.setControl(key, text),
    all: () => directory.controls(),
  };
}
