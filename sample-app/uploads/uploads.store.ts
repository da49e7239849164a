import { Injectable } from '@nestjs/common';

export interface Upload {
  id: number;
  name: string;
  createdAt: Date;
  /** Set by a soft delete; the hard-deleter removes the row once it is older than the retention. */
  deletedAt?: Date;
}

/** An in-memory table, standing in for a database so the sample runs with no server. */
@Injectable()
export class UploadsStore {
  private readonly rows = new Map<number, Upload>();
  private nextId = 1;

  insert(name: string): Upload {
    const upload: Upload = { id: this.nextId++, name, createdAt: new Date() };
    this.rows.set(upload.id, upload);
    return upload;
  }

  findAll({ includeDeleted = false } = {}): Upload[] {
    const all = [...this.rows.values()];
    return includeDeleted ? all : all.filter((upload) => !upload.deletedAt);
  }

  findOne(id: number): Upload | undefined {
    return this.rows.get(id);
  }

  /** Up to `limit` rows soft-deleted before `cutoff`: one batch for the hard-deleter. */
  findSoftDeletedBefore(cutoff: Date, limit: number): Upload[] {
    const batch: Upload[] = [];
    for (const upload of this.rows.values()) {
      if (batch.length >= limit) break;
      if (upload.deletedAt && upload.deletedAt < cutoff) batch.push(upload);
    }
    return batch;
  }

  remove(ids: readonly number[]): void {
    for (const id of ids) this.rows.delete(id);
  }
}
