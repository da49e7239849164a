import 'reflect-metadata';

const DECORATORS = '../../../lib/nest/decorators';

// Each loadCopy() compiles the decorators' modules afresh (through swc): well under a second
// on a quiet machine, 4.2 s for two copies in a full run at a load average of 10, close to
// Jest's default 5 s. A minute only fails a hang.
jest.setTimeout(60_000);

type Copy = {
  Periodic: typeof import('../../../lib/nest/decorators/periodic.decorator').Periodic;
  Worker: typeof import('../../../lib/nest/decorators/worker.decorator').Worker;
  OutOfBandMigration: typeof import('../../../lib/nest/decorators/out-of-band-migration.decorator').OutOfBandMigration;
  record: typeof import('../../../lib/nest/decorators/declared-classes');
};

/** A fresh copy of the package's decorators and their record, as a second build of it would be. */
async function loadCopy(): Promise<Copy> {
  let copy: Copy | undefined;
  await jest.isolateModulesAsync(async () => {
    copy = {
      Periodic: (await import(`${DECORATORS}/periodic.decorator`)).Periodic,
      Worker: (await import(`${DECORATORS}/worker.decorator`)).Worker,
      OutOfBandMigration: (await import(`${DECORATORS}/out-of-band-migration.decorator`))
        .OutOfBandMigration,
      record: await import(`${DECORATORS}/declared-classes`),
    };
  });
  return copy!;
}

describe('the decorators’ one record', () => {
  it('is shared by two copies of the package (its ESM and CommonJS builds): every decorator of one is found by the other', async () => {
    const first = await loadCopy();
    const second = await loadCopy();
    expect(second.record).not.toBe(first.record);

    class Report {}
    first.Periodic('1m', { name: 'report' })(Report);
    class Uploads {}
    first.Worker({ name: 'uploads', table: 'uploads' })(Uploads);
    class Backfill {}
    first.OutOfBandMigration({ id: 'backfill', description: 'fills a column' })(Backfill);

    expect(second.record.declaredRoutines(Report)).toEqual([
      { kind: 'periodic', options: { name: 'report', interval: '1m' } },
    ]);
    expect(second.record.workerOptionsOf(Uploads)).toEqual({ name: 'uploads', table: 'uploads' });
    expect(second.record.migrationOptionsOf(Backfill)).toEqual({
      id: 'backfill',
      description: 'fills a column',
    });
  });

  it('finds a worker or a migration on that very class only, with the options as given then', async () => {
    const { Worker, OutOfBandMigration, record } = await loadCopy();
    const options = { name: 'queue' };
    class Queue {}
    Worker(options)(Queue);
    options.name = 'changed later';
    class Subclass extends Queue {}
    class Migration {}
    OutOfBandMigration({ id: 'm', description: 'd' })(Migration);

    expect(record.workerOptionsOf(Queue)).toEqual({ name: 'queue' });
    expect(record.workerOptionsOf(Subclass)).toBeUndefined();
    expect(record.migrationOptionsOf(Queue)).toBeUndefined();
    expect(record.workerOptionsOf(Migration)).toBeUndefined();
    expect(record.declaredRoutines(Queue)).toEqual([]);
  });

  it('lists every decorated class once, for either copy, so that unprovided ones can be named', async () => {
    const first = await loadCopy();
    const second = await loadCopy();
    class Twice {
      a(): void {}
      b(): void {}
    }
    for (const method of ['a', 'b']) {
      const descriptor = Object.getOwnPropertyDescriptor(Twice.prototype, method)!;
      first.Periodic('1m')(Twice.prototype, method, descriptor);
    }
    class Other {}
    second.Worker({ name: 'other', table: 'other' })(Other);
    class Plain {}

    const listed = first.record.everyDeclaredClass();
    expect(listed.filter((type) => type === Twice)).toHaveLength(1);
    expect(listed).toContain(Other);
    expect(listed).not.toContain(Plain);
    expect(second.record.everyDeclaredClass()).toEqual(listed);
  });
});
