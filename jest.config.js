// ESM jest: run with NODE_OPTIONS=--experimental-vm-modules (the npm scripts set it).
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/actions', '<rootDir>/packages'],
  testMatch: ['**/__tests__/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  collectCoverageFrom: ['actions/*/src/**/*.ts', 'packages/*/src/**/*.ts', '!**/index.ts'],
  coverageReporters: ['text-summary', 'lcov', 'json-summary'],
  testTimeout: 30000,
};
