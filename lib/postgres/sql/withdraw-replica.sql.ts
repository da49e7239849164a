/** Drops a replica's snapshot (it is shutting down). Parameters: $1 the replica's id. */
export function withdrawReplicaSql(replicas: string): string {
  return `DELETE FROM ${replicas} WHERE id = $1`;
}
