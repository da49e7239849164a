export * from './migrator';
export * from './migration-runner';
export * from './migration-info';
export * from './in-memory-migration-store';
export * from './migrations.errors';
