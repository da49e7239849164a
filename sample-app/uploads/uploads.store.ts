import { Injectable } from '@nestjs/common';

export interface Upload {
  id: number;
  name: string;
  createdAt: Date;
  /** Set by a soft delete; the hard-deleter removes the row once it is older than the retention. */
  deletedAt?: Date;
  /**
   * The file's extension, lower case (null: none). A column added after rows existed: new rows
   * get it at insert, and the out-of-band migration `backfill-upload-extension` fills the old
   * ones (undefined: not filled yet).
   */
  extension?: string | null;
}

/** What `extension` holds for a file name. */
export function extensionOf(name: string): string | null {
  const dot = name.lastIndexOf('.');
  return dot > 0 && dot < name.length - 1 ? name.slice(dot + 1).toLowerCase() : null;
}

/** An in-memory table, standing in for a database so the sample runs with no server. */
@Injectable()
export class UploadsStore {
  private readonly rows = new Map<number, Upload>();
  private nextId = 1;

  /** `DEMO_UPLOADS` (default 2,000) rows from before `extension` existed, for the migration. */
  constructor() {
    const demo = Number(process.env.DEMO_UPLOADS ?? 2000);
    const kinds = ['jpg', 'PNG', 'pdf', 'tar.gz', ''];
    for (let i = 1; i <= demo; i++) {
      const kind = kinds[i % kinds.length];
      const name = kind ? `demo-${i}.${kind}` : `demo-${i}`;
      this.rows.set(this.nextId, { id: this.nextId++, name, createdAt: new Date() });
    }
  }

  insert(name: string): Upload {
    const upload: Upload = {
      id: this.nextId++,
      name,
      createdAt: new Date(),
      extension: extensionOf(name),
    };
    this.rows.set(upload.id, upload);
    return upload;
  }

  /** Up to `limit` rows matching `where`, in id order: one batch of a migration. */
  scan(where: (upload: Upload) => boolean, limit: number): Upload[] {
    const batch: Upload[] = [];
    for (const upload of this.rows.values()) {
      if (batch.length >= limit) break;
      if (where(upload)) batch.push(upload);
    }
    return batch;
  }

  /** How many rows match `where`, of how many. */
  count(where: (upload: Upload) => boolean): { matching: number; all: number } {
    let matching = 0;
    for (const upload of this.rows.values()) if (where(upload)) matching++;
    return { matching, all: this.rows.size };
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
