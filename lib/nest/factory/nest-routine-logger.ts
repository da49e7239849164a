// Choices marked (measured) were made on benchmark figures: see bench/README.md, "Measured choices".
import { Logger } from '@nestjs/common';
import type { RoutineLogger } from '../../core';

/**
 * Nest's Logger with the routine's name as context, made on first use: most routines never
 * log (measured).
 */
class NestRoutineLogger implements RoutineLogger {
  private logger: Logger | undefined;

  constructor(private readonly name: string) {}

  log(message: string): void {
    this.nest().log(message);
  }

  warn(message: string): void {
    this.nest().warn(message);
  }

  debug(message: string): void {
    this.nest().debug(message);
  }

  error(message: string, stack?: string): void {
    this.nest().error(message, stack);
  }

  private nest(): Logger {
    return (this.logger ??= new Logger(this.name));
  }
}

export function nestRoutineLogger(name: string): RoutineLogger {
  return new NestRoutineLogger(name);
}
