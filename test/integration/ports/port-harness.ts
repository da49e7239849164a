import { unique } from '../support';

/**
 * A port of one engine under test. `port()` may be called several times: every port it
 * returns must share the same state (the same server), as replicas do.
 */
export interface PortHarness<Port> {
  port(): Port;
  /**
   * Makes the engine look long in use for this routine. A Redis coordinator fails closed for a
   * routine it has no marker for on an engine with no mark (new, or emptied) and on a Cluster
   * (no engine mark); the contracts are about an engine in steady state.
   */
  prime?(routine: string): Promise<void>;
  /**
   * Makes the engine itself look long in use, without priming any routine: what a routine new
   * to a known engine meets. Absent: the engine is that already (memory, PostgreSQL primed at
   * setup).
   */
  primeEngine?(): Promise<void>;
  close?(): Promise<void>;
}

/**
 * What a contract may skip on some engines: a Redis Cluster cannot tell a routine new to it
 * from one whose node lost its keys (no engine mark there), so it fails closed for both.
 */
export interface ContractOptions {
  /** Whether a routine new to a known engine gets its first slot and lease. Default: true. */
  tellsNewRoutines?: boolean;
}

/** How a contract gets its engine: called once, before its cases (it may start servers). */
export type PortSetup<Port> = () => Promise<PortHarness<Port>>;

/**
 * The harness of a contract's `describe`: set up before its cases (a three-master Redis
 * Cluster takes seconds on a busy machine), closed after them.
 */
export function useHarness<Port>(setup: PortSetup<Port>): {
  readonly harness: PortHarness<Port>;
  /** A routine name of its own, primed. */
  fresh(prefix: string): Promise<string>;
} {
  let harness: PortHarness<Port> | undefined;
  beforeAll(async () => {
    harness = await setup();
  }, 60_000);
  afterAll(async () => {
    await harness?.close?.();
  });
  return {
    get harness() {
      return harness!;
    },
    async fresh(prefix: string) {
      const routine = unique(prefix);
      await harness!.prime?.(routine);
      return routine;
    },
  };
}
