// nestjs-routines/terminus: a @nestjs/terminus health indicator, and nothing else.
export {
  RoutinesHealthIndicator,
  type RoutinesFailOn,
  type RoutinesHealthOptions,
} from './routines.health-indicator';
