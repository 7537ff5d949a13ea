// Jest runs in native ESM mode (node --experimental-vm-modules): NestJS 12 ships ESM only, and
// Jest's CommonJS module system cannot load ESM packages on Node 20. SWC strips types and emits
// decorator metadata far faster than ts-jest, and keeps our `.js` import specifiers as ESM.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  // The starter apps' own specs run inside their installed copies, under their own runner.
  testPathIgnorePatterns: [
    '/node_modules/',
    '<rootDir>/test/consumers/apps/',
    '<rootDir>/test/consumers/host-additions/',
  ],
  modulePathIgnorePatterns: ['<rootDir>/test/consumers/apps/'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: 'es2022',
        },
        module: { type: 'es6' },
      },
    ],
  },
  testTimeout: 60000,
  maxWorkers: 2,
};
