/** The live replicas' snapshots, by id (expiry on the database's clock). No parameters. */
export function listReplicasSql(replicas: string): string {
  return `SELECT snapshot FROM ${replicas} WHERE expires_at > now() ORDER BY id`;
}
