/** How this replica follows the controls kept by the coordinator; `false`: it keeps none (this replica only). */
export type ControlsSettings = { pollEveryMs: number } | false;

/** Injection token of the {@link ControlsSettings}: given by the module that mounts the controls. */
export const CONTROLS_SETTINGS = Symbol('nestjs-routines:controls-settings');
