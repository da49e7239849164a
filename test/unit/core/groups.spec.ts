import {
  CallbackRoutine,
  CombinedRoutine,
  FIFOStopRoutine,
  flushPromises,
  LIFOStopRoutine,
  NoopRoutine,
  type Routine,
} from '../../../lib/core';
import { deferred, recordingLogger, type Deferred } from './helpers';

/** Routines whose stop resolves only when the test says so, recording what happened. */
function controlled(names: string[]) {
  const log: string[] = [];
  const gates = new Map<string, Deferred>();
  const routines: Routine[] = names.map((name) => {
    const gate = deferred();
    gates.set(name, gate);
    return {
      name,
      start: () => void log.push(`start ${name}`),
      stop: async () => {
        log.push(`stop ${name}`);
        await gate.promise;
        log.push(`stopped ${name}`);
      },
    };
  });
  const release = async (name: string) => {
    gates.get(name)!.resolve();
    await flushPromises();
  };
  return { log, routines, release };
}

describe('LIFOStopRoutine', () => {
  it('starts in order and stops one at a time in reverse order', async () => {
    const { log, routines, release } = controlled(['db', 'cache', 'server']);
    const group = new LIFOStopRoutine('app', routines, recordingLogger());
    group.start();
    expect(log).toEqual(['start db', 'start cache', 'start server']);
    log.length = 0;
    let settled = false;
    const stopped = group.stop().then(() => (settled = true));
    await flushPromises();
    expect(log).toEqual(['stop server']); // the next one waits for this one
    await release('server');
    expect(log).toEqual(['stop server', 'stopped server', 'stop cache']);
    await release('cache');
    await release('db');
    await stopped;
    expect(settled).toBe(true);
    expect(log).toEqual([
      'stop server',
      'stopped server',
      'stop cache',
      'stopped cache',
      'stop db',
      'stopped db',
    ]);
  });

  it('stops the rest when one fails, then rejects naming it', async () => {
    const stopped: string[] = [];
    const ok = (name: string): Routine => ({
      name,
      start: () => undefined,
      stop: () => void stopped.push(name),
    });
    const broken: Routine = {
      name: 'broken',
      start: () => undefined,
      stop: () => Promise.reject(new Error('flush failed')),
    };
    const group = new LIFOStopRoutine('app', [ok('first'), broken, ok('last')], recordingLogger());
    await expect(group.stop()).rejects.toThrow('app: stop routine "broken": flush failed');
    expect(stopped).toEqual(['last', 'first']);
  });
});

describe('FIFOStopRoutine', () => {
  it('stops one at a time in the order given', async () => {
    const { log, routines, release } = controlled(['db', 'cache', 'server']);
    const group = new FIFOStopRoutine('app', routines, recordingLogger());
    const stopped = group.stop();
    await flushPromises();
    expect(log).toEqual(['stop db']);
    await release('db');
    expect(log).toEqual(['stop db', 'stopped db', 'stop cache']);
    await release('cache');
    await release('server');
    await stopped;
    expect(log).toEqual([
      'stop db',
      'stopped db',
      'stop cache',
      'stopped cache',
      'stop server',
      'stopped server',
    ]);
  });
});

describe('CombinedRoutine', () => {
  it('stops all its routines concurrently and resolves once all have stopped', async () => {
    const { log, routines, release } = controlled(['a', 'b', 'c']);
    const group = new CombinedRoutine('all', routines, recordingLogger());
    let settled = false;
    const stopped = group.stop().then(() => (settled = true));
    await flushPromises();
    expect(log).toEqual(['stop a', 'stop b', 'stop c']);
    await release('b');
    await release('a');
    expect(settled).toBe(false);
    await release('c');
    await stopped;
    expect(settled).toBe(true);
  });

  it('rejects with an AggregateError holding every stop failure', async () => {
    const errors = [new Error('one'), new Error('two')];
    const routines: Routine[] = [
      { name: 'x', start: () => undefined, stop: () => Promise.reject(errors[0]) },
      { name: 'y', start: () => undefined, stop: () => undefined },
      {
        name: 'z',
        start: () => undefined,
        stop: () => {
          throw errors[1];
        },
      },
    ];
    const group = new CombinedRoutine('all', routines, recordingLogger());
    const error = (await group.stop().catch((e: unknown) => e)) as AggregateError;
    expect(error).toBeInstanceOf(AggregateError);
    expect(error.errors).toEqual(errors);
    expect(error.message).toBe('all: stop routine "x": one; stop routine "z": two');
  });

  it('a start that fails is logged with the routine name and does not stop the others from starting', async () => {
    const logger = recordingLogger();
    const started: string[] = [];
    const group = new CombinedRoutine(
      'all',
      [
        {
          name: 'bad',
          start: () => {
            throw new Error('no config');
          },
          stop: () => undefined,
        },
        { name: 'good', start: () => void started.push('good'), stop: () => undefined },
      ],
      logger,
    );
    group.start();
    expect(started).toEqual(['good']);
    expect(logger.messages('error')).toEqual(['routine "bad" failed: no config']);
  });

  it('groups nest: a group is itself a routine', async () => {
    const { log, routines, release } = controlled(['a', 'b']);
    const inner = new LIFOStopRoutine('inner', routines, recordingLogger());
    const outer = new FIFOStopRoutine('outer', [inner, new NoopRoutine()], recordingLogger());
    outer.start();
    const stopped = outer.stop();
    await flushPromises();
    expect(log).toEqual(['start a', 'start b', 'stop b']);
    await release('b');
    await release('a');
    await expect(stopped).resolves.toBeUndefined();
  });
});

describe('CallbackRoutine and NoopRoutine', () => {
  it('CallbackRoutine calls its start callback on start and waits for its stop callback', async () => {
    const gate = deferred();
    const onStart = jest.fn(() => 'started');
    const onStop = jest.fn(() => gate.promise);
    const routine = new CallbackRoutine('cb', onStart, onStop);
    expect(routine.start()).toBe('started');
    expect(onStart).toHaveBeenCalledTimes(1);
    let settled = false;
    const stopped = routine.stop().then(() => (settled = true));
    await flushPromises();
    expect(onStop).toHaveBeenCalledTimes(1);
    expect(settled).toBe(false);
    gate.resolve();
    await stopped;
    expect(settled).toBe(true);
  });

  it('CallbackRoutine stop rejects when its stop callback throws', async () => {
    const routine = new CallbackRoutine(
      'cb',
      () => undefined,
      () => {
        throw new Error('stuck');
      },
    );
    await expect(routine.stop()).rejects.toThrow('stuck');
  });

  it('NoopRoutine starts and stops without doing anything', async () => {
    const noop = new NoopRoutine();
    expect(noop.name).toBe('noop');
    expect(noop.start()).toBeUndefined();
    await expect(noop.stop()).resolves.toBeUndefined();
    expect(new NoopRoutine('placeholder').name).toBe('placeholder');
  });
});
