export * from './catch-up';
export * from './clock';
export * from './cron';
export * from './cron-expression';
export * from './duration';
export * from './errors';
export * from './groups';
export * from '../cluster/lease-keeper';
export * from './logger';
export * from './manual-clock';
export * from './monitor';
export * from './option-names';
export * from './unknown-options';
export * from './periodic-handler';
export * from './periodic-routine';
export * from './restart-policy';
export * from './routine';
export * from './run-context';
export * from './schedule';
export * from './supervised-routine';
export type { EndStatus, LedgerRun, RunRecorder } from './run-ledger';
export { isThenable } from './thenable';
export * from './hold';
// The coordinator's ports and the in-memory engine live in ../cluster; re-exported here so that
// the core's names stay where they were.
export * from '../cluster/ports';
export { InMemoryCoordinator } from '../cluster/in-memory-coordinator';
export { newToken } from '../cluster/new-token';
export { beginRun, emptyRunMarkers, endRun, renewRun } from '../cluster/run-marker-transitions';
