// swc compiles TypeScript (with decorator metadata for type-graphql) and the ESM-only `jose` to CommonJS.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.(t|j|mj)s$": [
      "@swc/jest",
      {
        jsc: {
          parser: { syntax: "typescript", decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: "es2022",
        },
        module: { type: "commonjs" },
      },
    ],
  },
  transformIgnorePatterns: ["/node_modules/(?!(jose)/)"],
  // The whole-suite secret sweep (test/support/secret-sweep*.ts): every service started by a test logs
  // at trace level into a per-run folder, and the teardown fails the run if any secret the run issued
  // or used shows up in a log line, a database row or an error a client received.
  globalSetup: "<rootDir>/test/support/secret-sweep-global-setup.ts",
  // The sweep, then removing the run's database template (test/support/database-template.ts).
  globalTeardown: "<rootDir>/test/support/global-teardown.ts",
  setupFilesAfterEnv: ["<rootDir>/test/support/secret-sweep-setup.ts"],
  // Lists every SKIPPED line again after the summary (jest drops the console of all-skipped files).
  reporters: ["default", "<rootDir>/test/support/skip-reporter.js"],
  // Bounds a hang, asserts nothing about speed: a busy 2-core machine runs a test many times slower
  // than an idle one. Hooks and tests that start services use SERVICE_START_TIMEOUT_MS
  // (test/support/timeouts.ts) instead.
  testTimeout: 60_000,
  maxWorkers: 2,
};
