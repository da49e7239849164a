// nestjs-routines/redis: cluster scope on the app's own ioredis client, and nothing else.
// ioredis stays an optional peer: the app passes its client, this package never loads it.
export {
  CoordinatorStateLostError,
  RedisCoordinator,
  type RedisClient,
  type RedisCoordinatorOptions,
} from '../coordination';
