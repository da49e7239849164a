import { Hold, HoldExpiredError, renewDeadline } from '../../../lib/core/hold';
import { ManualClock } from '../../../lib/core/manual-clock';

describe('Hold (the one holder discipline)', () => {
  it('holds from the moment the take was sent until two thirds of the ttl, then loses once', async () => {
    const clock = new ManualClock(1000);
    const lost: unknown[] = [];
    const hold = new Hold(clock, 3000, (cause) => lost.push(cause));
    expect(hold.holds()).toBe(false); // not taken yet
    const sentAt = clock.now();
    await clock.advance(400); // the answer took 400 ms: the ttl may have started when it was sent
    hold.renewed(sentAt);
    expect(hold.holds()).toBe(true);
    expect(hold.remaining()).toBe(renewDeadline(3000) - 400);
    await clock.advance(1599);
    expect(hold.holds()).toBe(true);
    expect(lost).toHaveLength(0);
    await clock.advance(1);
    expect(hold.holds()).toBe(false);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(HoldExpiredError);
    expect((lost[0] as Error).message).toBe(
      'no successful renewal within the renew deadline (2s of a 3s ttl)',
    );
    await clock.advance(10_000);
    expect(lost).toHaveLength(1);
  });

  it('reads false synchronously after a pause past its deadline, before its timer has run', async () => {
    const clock = new ManualClock(0);
    const lost: unknown[] = [];
    const hold = new Hold(clock, 1500, (cause) => lost.push(cause));
    hold.renewed(0);
    clock.jump(5000); // the process was stopped: no timer has fired yet
    expect(lost).toHaveLength(0);
    expect(hold.holds()).toBe(false);
  });

  it('moves its deadline with each renewal, ignores an older call answering late', async () => {
    const clock = new ManualClock(0);
    const lost: unknown[] = [];
    const hold = new Hold(clock, 3000, (cause) => lost.push(cause));
    hold.renewed(0);
    await clock.advance(1000);
    hold.renewed(1000); // deadline now 3000
    hold.renewed(200); // late answer of an older renewal: no effect
    await clock.advance(1900);
    expect(hold.holds()).toBe(true);
    await clock.advance(100);
    expect(lost).toHaveLength(1);
  });

  it('lose() runs onLost once; release() ends it quietly; neither can be renewed after', async () => {
    const clock = new ManualClock(0);
    const lost: unknown[] = [];
    const a = new Hold(clock, 3000, (cause) => lost.push(cause));
    a.renewed(0);
    a.lose('refused');
    a.lose('again');
    expect(lost).toEqual(['refused']);
    a.renewed(clock.now());
    expect(a.holds()).toBe(false);
    const b = new Hold(clock, 3000, (cause) => lost.push(cause));
    b.renewed(0);
    b.release();
    await clock.advance(5000);
    expect(b.holds()).toBe(false);
    expect(b.ended).toBe(true);
    expect(lost).toEqual(['refused']);
  });
});

describe('Hold after a pause', () => {
  it('a renewal answered after the deadline passed (its timer not yet run) ends the hold', async () => {
    const clock = new ManualClock(0);
    const lost: unknown[] = [];
    const hold = new Hold(clock, 3000, (cause) => lost.push(cause));
    hold.renewed(0);
    clock.jump(2500); // paused past the 2 s deadline; its timer has not fired
    hold.renewed(clock.now()); // a renewal sent on waking answers first
    expect(hold.holds()).toBe(false);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(HoldExpiredError);
  });
});
