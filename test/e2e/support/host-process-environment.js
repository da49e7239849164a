// @ts-check
/**
 * Jest's node environment gives each test file a copy of `process`: listeners added to it
 * never hear the real process's `unhandledRejection` or `uncaughtException`. This
 * environment exposes the host process as `globalThis.hostProcess`, so a test can listen on
 * the process that Node actually emits those events on.
 *
 * Use with a docblock at the top of a spec: `@jest-environment ./test/e2e/support/host-process-environment.js`
 */
const { TestEnvironment } = require('jest-environment-node');

class HostProcessEnvironment extends TestEnvironment {
  /**
   * @param {ConstructorParameters<typeof TestEnvironment>[0]} config
   * @param {ConstructorParameters<typeof TestEnvironment>[1]} context
   */
  constructor(config, context) {
    super(config, context);
    this.global.hostProcess = process;
  }
}

module.exports = HostProcessEnvironment;
