import type { BeginAnswer, BeginRun, RenewAnswer, RunMarkers } from '../core/run-markers';
import type { RedisClient } from './clients';
import { SERVER_NOW } from './redis-server-now';

// The transitions of core/run-markers.ts (beginRun, renewRun, endRun), step for step, in Lua:
// each call one script on the server's clock. State: `<prefix>{<routine>}:runs`, a JSON string
// { running = [{token, expiresAt, cancel}], waiting = [{token, expiresAt}], epoch }; the last
// outcome: `<prefix>{<routine>}:previous`. Both share the routine's hash tag (one Cluster slot).
// Epochs start from the server's clock in µs (as PostgreSQL's): they keep growing after Redis
// lost the state (FLUSHALL, a restart without persistence). The JSON keeps the epoch as a
// string, since cjson writes numbers with 14 digits only.

const LOAD = `${SERVER_NOW}
local raw = redis.call('GET', KEYS[1])
local s
if raw then s = cjson.decode(raw) else s = { running = {}, waiting = {}, epoch = 0 } end
local function live(list)
  local kept = {}
  if type(list) ~= 'table' then return kept end
  for _, e in ipairs(list) do if tonumber(e.expiresAt) > now then table.insert(kept, e) end end
  return kept
end
s.running = live(s.running)
s.waiting = live(s.waiting)
s.epoch = tonumber(s.epoch) or 0
local function epoch() return string.format('%d', s.epoch) end
local function save()
  local e = s.epoch
  s.epoch = epoch()
  redis.call('SET', KEYS[1], cjson.encode(s))
  s.epoch = e
end
`;

/** KEYS: state, previous. ARGV: token, ttl ms, limit, queue, cancel ('1'/'0'). Returns {state, epoch, previous}. */
const BEGIN = `${LOAD}
local token, expiresAt = ARGV[1], now + tonumber(ARGV[2])
local limit, queue, cancel = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5] == '1'
local room = #s.running < limit
local function running()
  table.insert(s.running, { token = token, expiresAt = expiresAt })
  s.epoch = math.max(s.epoch, micros) + 1
  save()
  return { 'running', epoch(), redis.call('GET', KEYS[2]) }
end
for i, e in ipairs(s.waiting) do
  if e.token == token then
    if i == 1 and room then
      table.remove(s.waiting, 1)
      return running()
    end
    e.expiresAt = expiresAt
    save()
    return { 'queued' }
  end
end
for _, e in ipairs(s.running) do
  if e.token == token then return { 'running', epoch(), redis.call('GET', KEYS[2]) } end
end
if room and #s.waiting == 0 then return running() end
if #s.waiting < queue then
  table.insert(s.waiting, { token = token, expiresAt = expiresAt })
  if cancel then for _, e in ipairs(s.running) do e.cancel = true end end
  save()
  return { 'queued' }
end
save()
return { 'busy' }
`;

/** KEYS: state. ARGV: token, ttl ms. Returns running, cancelled or lost. */
const RENEW = `${LOAD}
local token, expiresAt = ARGV[1], now + tonumber(ARGV[2])
for _, e in ipairs(s.running) do
  if e.token == token then
    e.expiresAt = expiresAt
    save()
    if e.cancel then return 'cancelled' end
    return 'running'
  end
end
for _, e in ipairs(s.waiting) do
  if e.token == token then
    e.expiresAt = expiresAt
    save()
    return 'running'
  end
end
save()
return 'lost'
`;

/** KEYS: state, previous. ARGV: token, previous ('' for none), stored only if the marker is still held. */
const END = `${LOAD}
local token = ARGV[1]
local held = false
for _, e in ipairs(s.running) do if e.token == token then held = true end end
local function without(list)
  local kept = {}
  for _, e in ipairs(list) do if e.token ~= token then table.insert(kept, e) end end
  return kept
end
s.running = without(s.running)
s.waiting = without(s.waiting)
save()
if held and ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2]) end
return 1
`;

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

/** Run markers in Redis: see core/run-markers.ts for what each call does. */
export class RedisRunMarkers implements RunMarkers {
  private readonly scripted: ScriptedClient;

  constructor(
    client: RedisClient,
    /** `<prefix>{<routine>}:<what>`, as the coordinator's other keys. */
    private readonly key: (routine: string, what: string) => string,
  ) {
    client.defineCommand(BEGIN_COMMAND, { numberOfKeys: 2, lua: BEGIN });
    client.defineCommand(RENEW_COMMAND, { numberOfKeys: 1, lua: RENEW });
    client.defineCommand(END_COMMAND, { numberOfKeys: 2, lua: END });
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
