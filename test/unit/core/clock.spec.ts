import { ManualClock, SystemClock } from '../../../lib/core';
import { deferred } from './helpers';

describe('SystemClock', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('two timers set for the same time share one Node.js timeout', () => {
    const clock = new SystemClock();
    const first = jest.fn();
    const second = jest.fn();
    clock.setTimer(clock.now() + 1000, first);
    clock.setTimer(clock.now() + 1000, second);
    expect(clock.pendingTimeouts).toBe(1);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(999);
    expect(first).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(1);
    expect(clock.pendingTimeouts).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('timers for different times get their own timeouts', () => {
    const clock = new SystemClock();
    const first = jest.fn();
    const second = jest.fn();
    clock.setTimer(clock.now() + 1000, first);
    clock.setTimer(clock.now() + 2000, second);
    expect(clock.pendingTimeouts).toBe(2);
    jest.advanceTimersByTime(1000);
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).not.toHaveBeenCalled();
    expect(clock.pendingTimeouts).toBe(1);
    jest.advanceTimersByTime(1000);
    expect(second).toHaveBeenCalledTimes(1);
  });

  it('clearing one of two shared timers keeps the other', () => {
    const clock = new SystemClock();
    const cleared = jest.fn();
    const kept = jest.fn();
    const at = clock.now() + 1000;
    const handle = clock.setTimer(at, cleared);
    clock.setTimer(at, kept);
    clock.clearTimer(handle);
    expect(clock.pendingTimeouts).toBe(1);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(1000);
    expect(cleared).not.toHaveBeenCalled();
    expect(kept).toHaveBeenCalledTimes(1);
  });

  it('clearing both leaves no Node.js timeout', () => {
    const clock = new SystemClock();
    const callback = jest.fn();
    const at = clock.now() + 1000;
    const a = clock.setTimer(at, callback);
    const b = clock.setTimer(at, callback);
    clock.clearTimer(a);
    clock.clearTimer(b);
    clock.clearTimer(b); // clearing twice is harmless
    expect(clock.pendingTimeouts).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(5000);
    expect(callback).not.toHaveBeenCalled();
  });

  it('a timer set again for a time whose timeout was cleared gets a new timeout', () => {
    const clock = new SystemClock();
    const at = clock.now() + 1000;
    clock.clearTimer(clock.setTimer(at, jest.fn()));
    const callback = jest.fn();
    clock.setTimer(at, callback);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(1000);
    expect(callback).toHaveBeenCalledTimes(1);
  });

  it('a callback that throws does not starve the others sharing its timeout', () => {
    const clock = new SystemClock();
    const at = clock.now() + 10;
    const after = jest.fn();
    clock.setTimer(at, () => {
      throw new Error('boom');
    });
    clock.setTimer(at, after);
    expect(() => jest.advanceTimersByTime(10)).not.toThrow();
    expect(after).toHaveBeenCalledTimes(1);
  });

  it('a time in the past fires on the next turn', () => {
    const clock = new SystemClock();
    const callback = jest.fn();
    clock.setTimer(clock.now() - 5000, callback);
    jest.advanceTimersByTime(0);
    expect(callback).toHaveBeenCalledTimes(1);
  });

  it('a time beyond the longest Node.js delay is waited for in steps, not fired at once', () => {
    const clock = new SystemClock();
    const callback = jest.fn();
    const far = 2 ** 31 + 10_000;
    clock.setTimer(clock.now() + far, callback);
    jest.advanceTimersByTime(2 ** 31 - 1);
    expect(callback).not.toHaveBeenCalled();
    expect(clock.pendingTimeouts).toBe(1);
    jest.advanceTimersByTime(far - (2 ** 31 - 1));
    expect(callback).toHaveBeenCalledTimes(1);
  });
});

describe('ManualClock', () => {
  it('only moves when told to and fires timers in due order, ties in the order they were set', async () => {
    const clock = new ManualClock(100);
    const order: string[] = [];
    clock.setTimer(300, () => order.push('c@300'));
    clock.setTimer(200, () => order.push('a@200'));
    clock.setTimer(200, () => order.push('b@200'));
    expect(clock.now()).toBe(100);
    expect(clock.pendingTimers).toBe(3);
    expect(clock.nextTimerAt).toBe(200);
    await clock.advance(150);
    expect(order).toEqual(['a@200', 'b@200']);
    expect(clock.now()).toBe(250);
    await clock.advanceTo(300);
    expect(order).toEqual(['a@200', 'b@200', 'c@300']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('sets now() to each timer time while firing it', async () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    clock.setTimer(10, () => seen.push(clock.now()));
    clock.setTimer(30, () => seen.push(clock.now()));
    await clock.advance(100);
    expect(seen).toEqual([10, 30]);
    expect(clock.now()).toBe(100);
  });

  it('settles promises between timers, so async chains see time move', async () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    const chain = (async () => {
      await new Promise((resolve) => clock.setTimer(100, () => resolve(undefined)));
      seen.push(clock.now());
      await new Promise((resolve) => clock.setTimer(clock.now() + 50, () => resolve(undefined)));
      seen.push(clock.now());
    })();
    await clock.advance(1000);
    await chain;
    expect(seen).toEqual([100, 150]);
  });

  it('fires timers set while advancing when they fall within the target', async () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const tick = (): void => {
      fired.push(clock.now());
      clock.setTimer(clock.now() + 100, tick);
    };
    clock.setTimer(0, tick);
    await clock.advance(350);
    expect(fired).toEqual([0, 100, 200, 300]);
  });

  it('jump moves time without firing timers; they fire late on the next advance', async () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    clock.setTimer(100, () => seen.push(clock.now()));
    clock.jump(500);
    expect(seen).toEqual([]);
    expect(clock.now()).toBe(500);
    await clock.advance(0);
    expect(seen).toEqual([500]);
  });

  it('clearTimer removes a pending timer', async () => {
    const clock = new ManualClock();
    const callback = jest.fn();
    const handle = clock.setTimer(10, callback);
    clock.clearTimer(handle);
    clock.clearTimer(handle);
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(100);
    expect(callback).not.toHaveBeenCalled();
  });

  it('flush lets pending promise callbacks run without moving time', async () => {
    const clock = new ManualClock(7);
    const gate = deferred<number>();
    let value = 0;
    void gate.promise.then((v) => (value = v));
    gate.resolve(42);
    await clock.flush();
    expect(value).toBe(42);
    expect(clock.now()).toBe(7);
  });
});
