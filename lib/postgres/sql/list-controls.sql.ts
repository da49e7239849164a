/** Every routine's control. No parameters. */
export function listControlsSql(controls: string): string {
  return `SELECT routine, control FROM ${controls}`;
}
