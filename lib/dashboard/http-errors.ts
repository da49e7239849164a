import {
  BadRequestException,
  ConflictException,
  HttpException,
  NotFoundException,
} from '@nestjs/common';
import { RoutineActionError, RoutineNotFoundError } from '../nest/routines.errors';

/**
 * What an action's error answers over HTTP: an unknown name 404, an action the routine cannot
 * take 409, a bad value (a RangeError naming it) 400; anything else is the engine failing (the
 * coordinator did not store a control, the database did not answer): 503, nothing changed.
 */
export function asHttpError(error: unknown): HttpException {
  if (error instanceof HttpException) return error;
  if (error instanceof RoutineNotFoundError) return new NotFoundException(error.message);
  if (error instanceof RoutineActionError) return new ConflictException(error.message);
  if (error instanceof RangeError) return new BadRequestException(error.message);
  const message = error instanceof Error ? error.message : String(error);
  // The coordinator did not store a cluster control: nothing changed anywhere.
  return new HttpException({ statusCode: 503, message, error: 'Service Unavailable' }, 503);
}
