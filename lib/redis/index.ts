// nestjs-routines/redis: cluster scope on the app's own ioredis client, and nothing else.
// ioredis stays an optional peer: the app passes its client, this package never loads it.
export { CoordinatorStateLostError } from '../cluster/coordination.errors';
export { RedisCoordinator, type RedisCoordinatorOptions } from './redis.coordinator';
export type { RedisClient } from './redis-client';
