export * from './worker-table';
export * from './postgres-worker-store';
export * from './worker';
