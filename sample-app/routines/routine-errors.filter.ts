import {
  BadRequestException,
  Catch,
  ConflictException,
  NotFoundException,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import {
  RoutineActionError,
  RoutineNotFoundError,
  RoutinesConfigurationError,
} from 'nestjs-routines';

/**
 * The registry's typed errors as HTTP answers: an unknown routine is a 404, an action the
 * routine cannot take (trigger a background routine, resume a disabled one) a 409, a bad
 * value (an interval, a routine added with bad options) a 400. Everything else goes to Nest.
 */
@Catch(RoutineNotFoundError, RoutineActionError, RoutinesConfigurationError, RangeError)
export class RoutineErrorsFilter extends BaseExceptionFilter implements ExceptionFilter {
  catch(error: Error, host: ArgumentsHost): void {
    super.catch(asHttpException(error), host);
  }
}

function asHttpException(error: Error): Error {
  if (error instanceof RoutineNotFoundError) return new NotFoundException(error.message);
  if (error instanceof RoutineActionError) return new ConflictException(error.message);
  return new BadRequestException(error.message);
}
