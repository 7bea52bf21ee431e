// How long the suite waits for things a busy machine makes slow. One place, so that a hook that starts
// a service never falls back to jest's default (testTimeout in jest.config.js) by accident.

/**
 * Every beforeAll (or test) that starts a service, an emulator, a browser or a database passes this as
 * its timeout. Starting one takes about a second of CPU, but on a 2-core machine running other work
 * the wall time has been seen past 30 s; this only bounds a hang, it asserts nothing about speed.
 */
export const SERVICE_START_TIMEOUT_MS = 180_000;

/**
 * Tests of the built commands (npm start, npm run emulator) may first compile the project with tsc
 * (test/support/build.ts, when dist/ is missing or stale): about 30 s of CPU, minutes of wall time on
 * a loaded machine. Such a test gets this on top of SERVICE_START_TIMEOUT_MS.
 */
export const BUILD_TIMEOUT_MS = 300_000;
