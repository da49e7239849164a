/**
 * Whether this process runs tests: Jest (`JEST_WORKER_ID`), Vitest (`VITEST`), `node --test`
 * (`NODE_TEST_CONTEXT`), or `NODE_ENV=test` (set by Jest, and by most other runners' setups).
 * Boot warnings meant for a deployed app are off there by default.
 */
export function underTestRunner(env: NodeJS.ProcessEnv = process.env): boolean {
  return (
    env.JEST_WORKER_ID !== undefined ||
    env.VITEST !== undefined ||
    env.NODE_TEST_CONTEXT !== undefined ||
    env.NODE_ENV === 'test'
  );
}
