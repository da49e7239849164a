import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ProcessingController } from './processing.controller';
import { ProcessingDatabase } from './processing-database';
import { ThumbnailRenderer } from './thumbnail-renderer';

/**
 * A DB-backed worker over the app's own table. It needs PostgreSQL: with DATABASE_URL set, the
 * worker and its endpoints are added; without it, the app runs without them.
 */
@Global()
@Module({})
export class ProcessingModule {
  static forEnvironment(): DynamicModule {
    const database = {
      provide: ProcessingDatabase,
      useFactory: () => ProcessingDatabase.fromEnvironment(),
    };
    const withDatabase = Boolean(process.env.DATABASE_URL);
    return {
      module: ProcessingModule,
      providers: [database, ...(withDatabase ? [ThumbnailRenderer] : [])],
      controllers: withDatabase ? [ProcessingController] : [],
      exports: [ProcessingDatabase],
    };
  }
}
