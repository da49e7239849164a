import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  Param,
  ParseBoolPipe,
  ParseIntPipe,
  Post,
  Query,
} from '@nestjs/common';
import { UploadsService } from './uploads.service';
import type { Upload } from './uploads.store';

@Controller('uploads')
export class UploadsController {
  constructor(private readonly uploads: UploadsService) {}

  @Post()
  create(@Body() body: { name?: unknown }): Upload {
    if (typeof body?.name !== 'string' || body.name.trim() === '') {
      throw new BadRequestException('name must be a non-empty string');
    }
    return this.uploads.create(body.name);
  }

  /** GET /uploads?includeDeleted=true also lists soft-deleted rows the hard-deleter has not removed yet. */
  @Get()
  findAll(
    @Query('includeDeleted', new ParseBoolPipe({ optional: true })) includeDeleted?: boolean,
  ): Upload[] {
    return this.uploads.findAll({ includeDeleted });
  }

  /** A soft delete: the row stays, marked deleted, until the hard-deleter routine removes it. */
  @Delete(':id')
  remove(@Param('id', ParseIntPipe) id: number): Upload {
    return this.uploads.softDelete(id);
  }
}
