/** `phase` on the shared grid, and `align: true` for instance routines, on the manual clock. */
import {
  InMemoryCoordinator,
  ManualClock,
  PeriodicRoutine,
  RoutinesConfigurationError,
  type PeriodicRoutineOptions,
} from '../../../lib/core';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2026, 11, 3, 9, 7, 30); // 09:07:30

function setup(options: PeriodicRoutineOptions) {
  const clock = new ManualClock(T0);
  const runs: string[] = [];
  const routine = new PeriodicRoutine(
    (_signal, ctx) => void runs.push(new Date(ctx.dueAt).toISOString().slice(11, 19)),
    { name: 'job', clock, logger: quiet, ...options },
  );
  return { clock, routine, runs };
}

describe('phase and align', () => {
  it("'1h' with phase '19m' in cluster scope runs at xx:19, on every replica's grid", async () => {
    const coordinator = new InMemoryCoordinator(new ManualClock(T0));
    const { clock, routine, runs } = setup({
      interval: '1h',
      phase: '19m',
      scope: 'cluster',
      coordinator,
    });
    routine.start();
    expect(routine.schedule).toBe('every 1h at +19m');
    await clock.advance(3 * HOUR);
    expect(runs).toEqual(['09:19:00', '10:19:00', '11:19:00']);
    expect(routine.nextRuns(2).map((t) => new Date(t).toISOString().slice(11, 19))).toEqual([
      '12:19:00',
      '13:19:00',
    ]);
    await routine.stop();
  });

  it('align: true puts an instance routine on the wall-clock grid (with its phase), not at its start', async () => {
    const aligned = setup({ interval: '15m', align: true });
    aligned.routine.start();
    await aligned.clock.advance(40 * MINUTE);
    expect(aligned.runs).toEqual(['09:15:00', '09:30:00', '09:45:00']);
    await aligned.routine.stop();

    const phased = setup({ interval: '15m', align: true, phase: '5m' });
    phased.routine.start();
    await phased.clock.advance(30 * MINUTE);
    expect(phased.runs).toEqual(['09:20:00', '09:35:00']);
    // setInterval keeps the grid and the phase.
    phased.routine.setInterval('10m');
    await phased.clock.advance(30 * MINUTE);
    expect(phased.runs.slice(2)).toEqual(['09:45:00', '09:55:00', '10:05:00']);
    await phased.routine.stop();

    // Without align, an instance routine ticks from its start, as before.
    const plain = setup({ interval: '15m' });
    plain.routine.start();
    await plain.clock.advance(20 * MINUTE);
    expect(plain.runs).toEqual(['09:07:30', '09:22:30']);
    await plain.routine.stop();
  });

  it.each([
    [
      { interval: '1h', phase: '1h', scope: 'cluster' },
      "option 'phase' = '1h' must be below the interval (1h)",
    ],
    [{ interval: '1h', phase: '90m', align: true }, 'must be below the interval'],
    [
      { interval: '1h', phase: '19m' },
      "use scope: 'cluster', or align: true for an instance routine",
    ],
    [
      { interval: { cron: '0 * * * *' }, phase: '5m', scope: 'cluster' },
      'a cron expression says its own minute',
    ],
    [
      { interval: { cron: '0 * * * *' }, align: true },
      "option 'align' = true applies to a fixed interval",
    ],
    [{ interval: '1h', phase: -5, align: true }, "option 'phase' = -5"],
    [{ interval: '1h', align: 'yes' }, "option 'align' = 'yes' must be true or false"],
  ])('refuses %j', (options, message) => {
    const build = () =>
      new PeriodicRoutine(() => undefined, { name: 'job', logger: quiet, ...(options as object) });
    expect(build).toThrow(RoutinesConfigurationError);
    expect(build).toThrow(message);
  });
});
