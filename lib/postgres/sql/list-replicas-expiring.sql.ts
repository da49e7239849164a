/**
 * The live replicas' snapshots, by id, each with the ms it has left (expiry on the database's
 * clock). No parameters.
 */
export function listReplicasExpiringSql(replicas: string): string {
  return (
    `SELECT snapshot, extract(epoch FROM expires_at - now()) * 1000 AS expires_in_ms ` +
    `FROM ${replicas} WHERE expires_at > now() ORDER BY id`
  );
}
