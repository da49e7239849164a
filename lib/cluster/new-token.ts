/** A process-unique token for leases, slot claims and run markers. */
export function newToken(): string {
  return `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
