/**
 * Every port's contract, run against every engine that implements it: memory, Redis and
 * PostgreSQL. A case that holds for one engine only is in that engine's spec
 * (coordinators.spec.ts, redis-run-markers.spec.ts, ...).
 */
import { describeAuditTrailContract } from './audit-trail.contract';
import { ENGINES, portOf } from './engines';
import { describeLeasesContract } from './leases.contract';
import { describeMigrationStateContract } from './migration-state.contract';
import { describeReplicaDirectoryContract } from './replica-directory.contract';
import { describeRunHistoryContract } from './run-history.contract';
import { describeRunMarkersContract } from './run-markers.contract';
import { describeSlotClaimsContract } from './slot-claims.contract';
import { describeStoredControlsContract } from './stored-controls.contract';

for (const [name, setup] of ENGINES) {
  describeSlotClaimsContract(
    name,
    portOf(setup, (engine) => engine.coordinator()),
  );
  describeLeasesContract(
    name,
    portOf(setup, (engine) => engine.coordinator()),
  );
  describeRunMarkersContract(
    name,
    portOf(setup, (engine) => engine.coordinator().runs),
  );
  describeMigrationStateContract(
    name,
    portOf(setup, (engine) => engine.migrations()),
  );
  describeReplicaDirectoryContract(
    name,
    portOf(setup, (engine) => engine.coordinator().replicas),
  );
  describeStoredControlsContract(
    name,
    portOf(setup, (engine) => engine.coordinator().controls),
  );
  describeRunHistoryContract(
    name,
    portOf(setup, (engine) => engine.coordinator().history),
  );
  describeAuditTrailContract(
    name,
    portOf(setup, (engine) => engine.coordinator().audit!),
  );
}
