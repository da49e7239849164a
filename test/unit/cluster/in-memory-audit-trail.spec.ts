import { InMemoryAuditTrail } from '../../../lib/cluster/in-memory-audit-trail';
import type { AuditEntry } from '../../../lib/cluster/ports';

const entry = (at: number, target = 'report'): AuditEntry => ({
  at,
  action: 'pause',
  target,
  scope: 'this replica',
  replica: 'r',
  outcome: 'ok',
});

describe('InMemoryAuditTrail', () => {
  it('keeps the newest entries only, past its bound', async () => {
    const trail = new InMemoryAuditTrail(3);
    for (let at = 1; at <= 7; at++) await trail.append(entry(at));
    expect((await trail.list({ limit: 10 })).map((found) => found.at)).toEqual([7, 6, 5]);
  });

  it('keeps a copy: changing the entry appended or read changes nothing kept', async () => {
    const trail = new InMemoryAuditTrail();
    const appended = entry(1);
    await trail.append(appended);
    appended.outcome = 'changed';
    const [read] = await trail.list({ limit: 1 });
    read.target = 'changed';
    expect(await trail.list({ limit: 1 })).toEqual([entry(1)]);
  });
});
