import type { StoredControls } from '../cluster/ports';
import type { RedisClient } from './redis-client';
import { LIST_CONTROLS_LUA } from './lua/list-controls.lua';
import { SET_CONTROL_LUA } from './lua/set-control.lua';

const SET_CONTROL_COMMAND = 'nestjsRoutinesSetControl';
const CONTROLS_COMMAND = 'nestjsRoutinesControls';

interface ScriptedClient {
  [SET_CONTROL_COMMAND](controls: string, routine: string, control: string): Promise<unknown>;
  [CONTROLS_COMMAND](controls: string): Promise<string[]>;
}

/** Routine controls in one hash (routine → control), `<prefix>{controls}`, with no expiry. */
export class RedisStoredControls implements StoredControls {
  private readonly scripted: ScriptedClient;
  private readonly controlsKey: string;

  constructor(client: RedisClient, prefix: string) {
    client.defineCommand(SET_CONTROL_COMMAND, { numberOfKeys: 1, lua: SET_CONTROL_LUA });
    client.defineCommand(CONTROLS_COMMAND, { numberOfKeys: 1, lua: LIST_CONTROLS_LUA });
    this.scripted = client as unknown as ScriptedClient;
    this.controlsKey = `${prefix}{controls}`;
  }

  async set(routine: string, control: string): Promise<void> {
    await this.scripted[SET_CONTROL_COMMAND](this.controlsKey, routine, control);
  }

  async all(): Promise<Map<string, string>> {
    const flat = await this.scripted[CONTROLS_COMMAND](this.controlsKey);
    const controls = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) controls.set(String(flat[i]), String(flat[i + 1]));
    return controls;
  }
}
