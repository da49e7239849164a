import type { Clock } from '../core/clock';
import type { BeginAnswer, BeginRun, RenewAnswer, RunMarkers, RunMarkerState } from './ports';
import { beginRun, emptyRunMarkers, endRun, renewRun } from './run-marker-transitions';

/** Run markers among the routines of one process: the transitions on a state per routine. */
export class InMemoryRunMarkers implements RunMarkers {
  private readonly states = new Map<string, RunMarkerState>();
  private readonly previous = new Map<string, string>();

  constructor(private readonly clock: Clock) {}

  async begin(routine: string, request: BeginRun): Promise<BeginAnswer> {
    const answer = beginRun(this.stateOf(routine), request, this.clock.now());
    const previous = this.previous.get(routine);
    return answer.state === 'running' && previous !== undefined ? { ...answer, previous } : answer;
  }

  async renew(routine: string, token: string, ttlMs: number): Promise<RenewAnswer> {
    return renewRun(this.stateOf(routine), token, ttlMs, this.clock.now());
  }

  async end(routine: string, token: string, previous?: string): Promise<void> {
    const held = endRun(this.stateOf(routine), token, this.clock.now());
    if (held && previous !== undefined) this.previous.set(routine, previous);
  }

  private stateOf(routine: string): RunMarkerState {
    let state = this.states.get(routine);
    if (state === undefined) this.states.set(routine, (state = emptyRunMarkers()));
    return state;
  }
}
