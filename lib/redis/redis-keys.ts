/**
 * The key of a routine's `what` (`slot:<t>`, `lease`, `alive`, `runs`...): `<prefix>{<routine>}:<what>`.
 * The hash tag keeps every key of one routine in one Redis Cluster slot, as a script's keys
 * must be. Redis hashes the text between the first `{` and the next `}` when that text is not
 * empty, else the whole key: so a name that is empty or starts with `}` would give its keys
 * different slots (every call failing with CROSSSLOT on a Cluster). Such a name is written
 * `<prefix>~{%<name>}:<what>`, with `%`, `{` and `}` in the name percent-encoded: the tag is
 * never empty and never closes early, and the `~` keeps these keys apart from every other
 * name's. Every other name (a `}` further in included: its tag is cut there, the same for all
 * of the routine's keys) keeps its key as it always was.
 */
export function redisRoutineKey(prefix: string, routine: string, what: string): string {
  if (routine !== '' && !routine.startsWith('}')) return `${prefix}{${routine}}:${what}`;
  return `${prefix}~{%${routine.replace(/[%{}]/g, percentEncoded)}}:${what}`;
}

/**
 * The engine's mark (see the loss marker script): `<prefix>~engine`. No routine's key has it
 * (theirs have a `{` right after the prefix, or after its `~`).
 */
export function redisEngineKey(prefix: string): string {
  return `${prefix}~engine`;
}

function percentEncoded(char: string): string {
  return `%${char.charCodeAt(0).toString(16).toUpperCase()}`;
}

/**
 * The hash tag Redis Cluster hashes a key by: the text between the first `{` and the next
 * `}` if not empty, else undefined (the whole key is hashed). As in the Cluster spec.
 */
export function redisHashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open === -1) return undefined;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return undefined;
  return key.slice(open + 1, close);
}
