/** The fields of `request.user` that name a person, in the order they are tried. */
const NAME_FIELDS = ['username', 'name', 'email', 'id', 'sub'] as const;

/**
 * The default `operator`: the request's `user` as the app's guard set it (Passport and most
 * guards do), a string or the first of its `username`, `name`, `email`, `id`, `sub` that is a
 * non-empty string or a number. Undefined when there is none.
 */
export function operatorFromUser(request: unknown): string | undefined {
  const user = (request as { user?: unknown } | null)?.user;
  if (typeof user === 'string') return user.trim() || undefined;
  if (typeof user !== 'object' || user === null) return undefined;
  for (const field of NAME_FIELDS) {
    const value = (user as Record<string, unknown>)[field];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return undefined;
}

/** The operator of a request, as the option tells it; an option that throws or returns a non-string tells none. */
export function operatorOf(
  operator: (request: unknown) => string | undefined,
  request: unknown,
): string | undefined {
  try {
    const name = operator(request);
    return typeof name === 'string' && name.trim() !== '' ? name.trim() : undefined;
  } catch {
    return undefined;
  }
}
