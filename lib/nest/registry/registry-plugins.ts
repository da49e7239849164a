import type { Logger } from '@nestjs/common';
import { describeError } from '../../core';
import type { RegistryPlugin } from '../interfaces/registry-plugin.interface';
import { MESSAGES } from '../nest.messages';

/** The integrations (the dashboard) that follow the registry's lifecycle. */
export class RegistryPlugins {
  private readonly plugins: RegistryPlugin[] = [];
  private prepared: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  add(plugin: RegistryPlugin): void {
    this.plugins.push(plugin);
  }

  /** Every plugin's `prepare`, once, however often it is asked. */
  prepare(): Promise<void> {
    this.prepared ??= Promise.all(this.plugins.map((plugin) => plugin.prepare?.())).then(
      () => undefined,
    );
    return this.prepared;
  }

  /** Tells every plugin that routines started; one that throws is logged, the routines run on. */
  started(names: readonly string[]): void {
    for (const plugin of this.plugins) {
      try {
        plugin.started?.(names);
      } catch (error) {
        this.logger.error(MESSAGES.pluginFailed(describeError(error).message));
      }
    }
  }
}
