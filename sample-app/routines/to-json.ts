/**
 * A plain-JSON copy of a routine snapshot, outcome or event. Their `error` fields hold what
 * the routine threw, and `JSON.stringify(new Error('x'))` is `{}`: errors become messages.
 */
export function toJson<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value, errorsAsMessages) ?? 'null');
}

export function errorsAsMessages(_key: string, value: unknown): unknown {
  return value instanceof Error ? `${value.name}: ${value.message}` : value;
}
