// Runs in every test file (jest setupFilesAfterEnv): tests that call fetch directly, not only the
// GraphQL client, have their credentials, received tokens and errors recorded for the secret sweep.
import { settleFetchTaps, tapFetch } from "./secret-sweep";

globalThis.fetch = tapFetch(globalThis.fetch);
afterAll(() => settleFetchTaps());
