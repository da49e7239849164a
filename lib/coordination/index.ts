export { RedisCoordinator, type RedisCoordinatorOptions } from './redis.coordinator';
export { PostgresCoordinator, type PostgresCoordinatorOptions } from './postgres.coordinator';
export { CoordinatorStateLostError } from './coordination.errors';
export type { PostgresPool, RedisClient } from './clients';
