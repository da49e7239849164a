/**
 * The e2e tests' Jest timeout (setupFilesAfterEnv of the e2e project). They boot Nest apps
 * and wait on real timers: well under a second each on a quiet machine, several times that
 * while other processes keep the cores busy, where Jest's default 5 s did not always hold.
 * Their own waits (support/e2e.ts WAIT_MS) fail first and say what they waited for; this
 * only catches a hang elsewhere.
 */
jest.setTimeout(30_000);
