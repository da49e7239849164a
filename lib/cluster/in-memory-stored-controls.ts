import type { StoredControls } from './ports';

/** The controls set on the routines of one process. */
export class InMemoryStoredControls implements StoredControls {
  private readonly byRoutine = new Map<string, string>();

  async set(routine: string, control: string): Promise<void> {
    this.byRoutine.set(routine, control);
  }

  async all(): Promise<Map<string, string>> {
    return new Map(this.byRoutine);
  }
}
