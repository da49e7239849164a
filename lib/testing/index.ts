// nestjs-routines/testing: what tests use to drive routines, and nothing else.
export { ManualClock } from '../core/manual-clock';
