import type { BeginAnswer, BeginRun, RenewAnswer, RunMarkers } from '../cluster/ports';
import type { RedisClient } from './redis-client';
import { BEGIN_RUN_LUA } from './lua/begin-run.lua';
import { END_RUN_LUA } from './lua/end-run.lua';
import { RENEW_RUN_LUA } from './lua/renew-run.lua';

// The transitions of cluster/run-marker-transitions.ts (beginRun, renewRun, endRun), step for
// step, in Lua (./lua/begin-run, renew-run, end-run): each call one script on the server's
// clock. State: `<prefix>{<routine>}:runs`, a JSON string
// { running = [{token, expiresAt, cancel}], waiting = [{token, expiresAt}], epoch }; the last
// outcome: `<prefix>{<routine>}:previous`. Both share the routine's hash tag (one Cluster slot).
// Epochs start from the server's clock in µs (as PostgreSQL's): they keep growing after Redis
// lost the state (FLUSHALL, a restart without persistence). The JSON keeps the epoch as a
// string, since cjson writes numbers with 14 digits only.

const BEGIN_COMMAND = 'nestjsRoutinesBeginRun';
const RENEW_COMMAND = 'nestjsRoutinesRenewRun';
const END_COMMAND = 'nestjsRoutinesEndRun';

interface ScriptedClient {
  [BEGIN_COMMAND](
    state: string,
    previous: string,
    token: string,
    ttlMs: number,
    limit: number,
    queue: number,
    cancel: string,
  ): Promise<[string, string?, (string | null)?]>;
  [RENEW_COMMAND](state: string, token: string, ttlMs: number): Promise<string>;
  [END_COMMAND](state: string, previous: string, token: string, value: string): Promise<unknown>;
}

/** Run markers in Redis: see cluster/ports/run-markers.ts for what each call does. */
export class RedisRunMarkers implements RunMarkers {
  private readonly scripted: ScriptedClient;

  constructor(
    client: RedisClient,
    /** `<prefix>{<routine>}:<what>`, as the coordinator's other keys. */
    private readonly key: (routine: string, what: string) => string,
  ) {
    client.defineCommand(BEGIN_COMMAND, { numberOfKeys: 2, lua: BEGIN_RUN_LUA });
    client.defineCommand(RENEW_COMMAND, { numberOfKeys: 1, lua: RENEW_RUN_LUA });
    client.defineCommand(END_COMMAND, { numberOfKeys: 2, lua: END_RUN_LUA });
    this.scripted = client as unknown as ScriptedClient;
  }

  async begin(routine: string, request: BeginRun): Promise<BeginAnswer> {
    const [state, epoch, previous] = await this.scripted[BEGIN_COMMAND](
      this.key(routine, 'runs'),
      this.key(routine, 'previous'),
      request.token,
      request.ttlMs,
      request.limit,
      request.queue,
      request.cancel ? '1' : '0',
    );
    if (state === 'running') {
      const answer: BeginAnswer = { state, epoch: Number(epoch) };
      if (typeof previous === 'string') answer.previous = previous;
      return answer;
    }
    return state === 'queued' ? { state } : { state: 'busy' };
  }

  async renew(routine: string, token: string, ttlMs: number): Promise<RenewAnswer> {
    const answer = await this.scripted[RENEW_COMMAND](this.key(routine, 'runs'), token, ttlMs);
    return answer === 'running' || answer === 'cancelled' ? answer : 'lost';
  }

  async end(routine: string, token: string, previous?: string): Promise<void> {
    await this.scripted[END_COMMAND](
      this.key(routine, 'runs'),
      this.key(routine, 'previous'),
      token,
      previous ?? '',
    );
  }
}
