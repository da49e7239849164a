// @ts-check
/**
 * Jest configuration (CommonJS).
 *
 * Nest 12 packages (`@nestjs/*`) are published as ESM only ("type": "module").
 * Node 20 can `require()` them, but Jest's module loader cannot (Jest only
 * supports require(esm) natively on Node >= 24.9), so they are compiled to
 * CommonJS by @swc/jest together with our TypeScript sources. Their runtime
 * dependencies (uid, iterare, path-to-regexp, tslib, express, cron, ...) ship
 * CommonJS builds (or `require` export conditions) and are left untouched.
 */

/** ESM-only packages under node_modules that must be transformed. */
const esmOnlyPackages = [
  '@nestjs', // common, core, testing, platform-express, config, schedule
  // Only reached through FileTypeValidator's `import('file-type')` in @nestjs/common:
  'file-type',
  'strtok3',
  'token-types',
  '@tokenizer',
  '@borewit',
  'uint8array-extras',
];

/**
 * Inline swc options (no .swcrc). `swcrc: false` stops swc from also picking
 * up a .swcrc file. @swc/jest forces `module.type` to "commonjs" in sync mode.
 *
 * @param {'typescript' | 'ecmascript'} syntax
 * @returns {import('@swc/core').Options}
 */
const swc = (syntax) => ({
  swcrc: false,
  sourceMaps: 'inline',
  module: {
    type: 'commonjs',
    // Turn `import('x')` into `require('x')`: native dynamic import inside
    // Jest's VM needs --experimental-vm-modules. Nest 12 uses it to load
    // @nestjs/platform-express, class-validator, file-type, ...
    ignoreDynamic: false,
  },
  jsc: {
    target: 'es2022',
    keepClassNames: true,
    parser:
      syntax === 'typescript'
        ? { syntax: 'typescript', decorators: true }
        : { syntax: 'ecmascript' },
    transform: {
      // TypeScript `experimentalDecorators` + `emitDecoratorMetadata`.
      legacyDecorator: true,
      decoratorMetadata: true,
      // Same class-field semantics as tsc with target ES2022.
      useDefineForClassFields: true,
    },
  },
});

/** @type {import('jest').Config} */
const shared = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.tsx?$': ['@swc/jest', swc('typescript')],
    '^.+\\.jsx?$': ['@swc/jest', swc('ecmascript')],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyPackages.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'cjs', 'mjs', 'json', 'node'],
  moduleNameMapper: {
    '^nestjs-routines$': '<rootDir>/lib/index.ts',
    '^nestjs-routines/(redis|postgres|dashboard|testing|terminus)$': '<rootDir>/lib/$1/index.ts',
  },
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.spec.ts'],
      // A Jest timeout sized for a busy machine: real-time tests (see the file).
      setupFilesAfterEnv: ['<rootDir>/test/e2e/support/timeout.ts'],
    },
    {
      ...shared,
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.spec.ts'],
    },
  ],
};
