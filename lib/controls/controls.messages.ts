import type { ReplicaIdentity } from './interfaces/replica-identity.interface';

const where = (replica: ReplicaIdentity): string => `${replica.host} (pid ${replica.pid})`;

export const MESSAGES = {
  /** What a call to the coordinator that missed its deadline was (the dashboard's, for operators reading old logs). */
  coordinatorCall: (what: string) => `the dashboard's ${what}`,
  pollFailed: (message: string) =>
    `could not read the routine controls from the coordinator (${message}); keeping the last known ones. Retrying`,
  pollBack: 'the coordinator answers again (reading controls)',
  heldNote:
    'held until the controls kept by the coordinator are read (an operator may have paused it)',
  held: (names: readonly string[]) =>
    `the routine controls could not be read at boot: cluster routines ${names.join(', ')} are held (paused) until they are, so that one paused on every replica does not run here`,
  released: (names: readonly string[]) =>
    `the routine controls are read: cluster routines ${names.join(', ')} held since boot follow them now`,
  controlsLost: (count: number) =>
    `the coordinator lost the routine controls (${count} known here, none stored): writing them back`,
  applyFailed: (action: string, name: string, message: string) =>
    `could not apply ${action} to '${name}' here: ${message}`,
  backfillEnded: (
    name: string,
    report: {
      dueTimes: number;
      succeeded: number;
      failed: number;
      cancelled: number;
      skipped: number;
    },
  ) =>
    `backfill of '${name}' ended: ${report.dueTimes} due times, ${report.succeeded} succeeded, ${report.failed} failed, ${report.cancelled} cancelled, ${report.skipped} skipped`,
  backfillFailed: (name: string, message: string) => `backfill of '${name}' failed: ${message}`,
  controlled: (
    action: string,
    name: string,
    appliesTo: 'cluster' | 'replica',
    replica: ReplicaIdentity,
  ) =>
    appliesTo === 'cluster'
      ? `${action} '${name}' on every replica (requested on ${where(replica)})`
      : `${action} '${name}' on ${where(replica)} only`,
};
