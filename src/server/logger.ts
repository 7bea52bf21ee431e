import pino, { type Logger } from "pino";

// Secrets must never reach a log line: bearer tokens, ACS tokens, access keys, connection strings.
export const REDACTED_PATHS = [
  "req.headers.authorization",
  "headers.authorization",
  "authorization",
  "token",
  "*.token",
  "accessKey",
  "*.accessKey",
  "connectionString",
  "*.connectionString",
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } });
}

export type { Logger };
