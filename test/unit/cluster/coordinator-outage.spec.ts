/**
 * How refusals and outages of an engine are logged: an engine that holds no state (new, or
 * emptied) in one info line for the whole engine and the process, whatever the routines and
 * times; a loss once per loss; an outage once, with one line when it answers again.
 */
import { CoordinatorStateLostError } from '../../../lib/cluster/coordination.errors';
import {
  reportCoordinatorFailure,
  reportCoordinatorSuccess,
} from '../../../lib/cluster/coordinator-outage';
import { ManualClock } from '../../../lib/core';
import { recordingLogger } from '../core/helpers';

const T0 = Date.UTC(2026, 11, 7, 12);

describe('reportCoordinatorFailure', () => {
  it('says an engine that holds no state once per engine, at info level, for every routine and refusal', () => {
    const clock = new ManualClock(T0);
    const logger = recordingLogger();
    const redis = { kind: 'redis' };
    const other = { kind: 'redis' };
    const notice = (since: number) =>
      `Redis at x (key prefix 'p:') holds no routines state ${since}`;
    for (let i = 0; i < 50; i++) {
      // Each routine found it at its own time (as on a Cluster); slots and leases alike.
      const since = T0 + i;
      const error =
        i % 2 === 0
          ? new CoordinatorStateLostError('redis', `r${i}`, since, 'slot', since, notice(since))
          : new CoordinatorStateLostError('redis', `r${i}`, since, 'lease', 15_000, notice(since));
      reportCoordinatorFailure(redis, clock, logger, `slot claim for 'r${i}'`, error);
      reportCoordinatorSuccess(redis, clock, logger); // other calls answer meanwhile
    }
    expect(logger.messages('log')).toEqual([notice(T0)]);
    expect(logger.messages('warn')).toEqual([]);
    // Another engine (another coordinator) says its own.
    reportCoordinatorFailure(
      other,
      clock,
      logger,
      "slot claim for 'r'",
      new CoordinatorStateLostError('redis', 'r', T0, 'slot', T0, notice(T0 + 100)),
    );
    expect(logger.messages('log')).toEqual([notice(T0), notice(T0 + 100)]);
  });

  it('warns of a loss once per loss, and of an outage once, with one line when it answers again', async () => {
    const clock = new ManualClock(T0);
    const logger = recordingLogger();
    const engine = { kind: 'postgres' };
    for (let i = 0; i < 10; i++)
      reportCoordinatorFailure(
        engine,
        clock,
        logger,
        "slot claim for 'r'",
        new CoordinatorStateLostError('postgres', 'r', T0, 'slot', T0),
      );
    expect(logger.messages('warn')).toHaveLength(1);
    expect(logger.messages('warn')[0]).toMatch(/lost its state for 'r'/);
    for (let i = 0; i < 300; i++) {
      reportCoordinatorFailure(
        engine,
        clock,
        logger,
        "slot claim for 'r'",
        new Error('ECONNREFUSED'),
      );
      await clock.advance(2000);
    }
    expect(logger.messages('warn')).toHaveLength(2);
    expect(logger.messages('warn')[1]).toMatch(/^the postgres coordinator failed .*ECONNREFUSED/);
    reportCoordinatorSuccess(engine, clock, logger);
    reportCoordinatorSuccess(engine, clock, logger);
    expect(logger.messages('log')).toEqual([
      'the postgres coordinator answers again, after 300 failed call(s) over 10m',
    ]);
  });
});
