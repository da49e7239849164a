/**
 * Subscribes the connection to the channel new rows are announced on. Needs a session: it
 * runs on a connection of its own, held while it listens (never behind a transaction pooler).
 */
export function listenSql(channel: string): string {
  return `LISTEN ${channel}`;
}
