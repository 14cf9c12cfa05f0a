// ESM + ts-jest. Sources import siblings with their real `.ts` extension (Node 24 runs
// them directly); ts-jest transpiles per file (isolatedModules) and `tsc --noEmit`
// does the type-checking.
const transform = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: { rewriteRelativeImportExtensions: false, allowImportingTsExtensions: true, noEmit: false } }],
};
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform,
  testEnvironment: 'node',
};
export default {
  // A leaked handle must not hold CI until its timeout (a failed runner start once kept
  // Jest alive past 5,400 s after every test had finished): exit, and say so.
  forceExit: true,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/lib/**/*.test.ts', '<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'chaos', testMatch: ['<rootDir>/test/chaos/**/*.test.ts'] },
  ],
};
