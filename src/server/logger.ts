import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { currentRequestId } from "./request-id";

// Secrets must never reach a log line: bearer tokens, ACS tokens, access keys, connection strings,
// passwords, cookies. Three layers, each catching what the one before cannot:
//   1. REDACTED_PATHS: pino's compiled redaction for the shapes we know (request headers, errors'
//      request configs). Fast, but exact: pino's wildcards match one level each and any casing must
//      be listed.
//   2. Secret-named properties at any depth and in any casing or spelling (authorization,
//      Authorization, access_token, acsToken, ACS_CONNECTION_STRING, ...): the finished line is
//      searched for such a name with a value not yet censored and, only then, parsed, censored and
//      written again. Working on the finished line also covers what never passes pino's object hooks:
//      child-logger bindings, serializer output, error causes.
//   3. Values shaped like secrets wherever they sit, e.g. inside an error message: JWTs,
//      "Bearer ...", HMAC signatures, "accesskey=...", passwords in URLs.

/** Property names (normalized: lower case, letters and digits only) whose values are secret. */
export const SECRET_KEY_PARTS = [
  "authorization", // also proxy-authorization
  "cookie", // also set-cookie
  "password",
  "passwd",
  "secret", // clientSecret, client_secret, secretKey
  "accesskey", // accessKey, access_key, ACS access keys
  "apikey", // apiKey, x-api-key
  "connectionstring", // connectionString, ACS_CONNECTION_STRING
  "privatekey",
  "signingkey",
] as const;
/** ...names that END with one of these: token, accessToken, id_token, bearer, x-ms-signature. */
export const SECRET_KEY_SUFFIXES = ["token", "bearer", "signature", "credential", "credentials"] as const;
/** ...and these exact names: settings that hold URLs with credentials, a raw JWT. */
export const SECRET_KEY_NAMES = ["databaseurl", "redisurl", "dsn", "jwt"] as const;

const CENSOR = "[redacted]";

/** True when a property of this name must not be logged. */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, "");
  return (
    SECRET_KEY_PARTS.some((part) => k.includes(part)) ||
    SECRET_KEY_SUFFIXES.some((suffix) => k.endsWith(suffix)) ||
    (SECRET_KEY_NAMES as readonly string[]).includes(k)
  );
}

// pino's compiled paths: fast, exact, and in place before layer 2 sees anything.
export const REDACTED_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  "headers.authorization",
  "headers.Authorization",
  "headers.cookie",
  "err.config.headers.authorization",
  "err.config.headers.Authorization",
  "err.request.headers.authorization",
  "err.response.request.headers.authorization",
  "authorization",
  "token",
  "*.token",
  "accessToken",
  "*.accessToken",
  "accessKey",
  "*.accessKey",
  "connectionString",
  "*.connectionString",
  "password",
  "*.password",
];

const MAX_DEPTH = 32;

/** A copy of parsed JSON with every secret-named property's value censored, at any depth. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      isSecretKey(key) && item !== null ? CENSOR : redactSecrets(item, depth + 1),
    ]),
  );
}

// Every property name in a finished line whose value is not already censored (or null). An escaped
// quote inside a string value can look like a name too: that only costs a needless parse.
const UNCENSORED_NAME = /"((?:[^"\\]|\\.)*)":(?!"\[redacted\]"|null)/g;

function hasUncensoredSecret(line: string): boolean {
  for (const [, name] of line.matchAll(UNCENSORED_NAME)) if (isSecretKey(name)) return true;
  return false;
}

/** Layer 2: the finished line with every secret-named property censored, at any depth or casing. */
export function redactSecretNames(line: string): string {
  if (!hasUncensoredSecret(line)) return line;
  try {
    return `${JSON.stringify(redactSecrets(JSON.parse(line)))}\n`;
  } catch {
    return line; // not one JSON object (a custom destination's format): layer 3 still applies
  }
}

// Layer 3: values shaped like secrets, wherever they appear in a finished line (the line is JSON, so a value
// never contains a bare `"` or `\`, which bound the matches).
const SECRET_TEXT: Array<[RegExp, string]> = [
  // JWTs and their parts: every JWT header and payload is base64url JSON, so starts with "eyJ".
  [/eyJ[A-Za-z0-9_-]{12,}(?:\.[A-Za-z0-9_-]*){0,2}/g, CENSOR],
  // An authorization value quoted in a message: "Bearer <token>", "Basic <credentials>".
  // (12+ credential characters, so prose such as "bearer token missing" stays readable).
  [/\b(Bearer|Basic|Negotiate)( +)[A-Za-z0-9._~+/=-]{12,}/gi, `$1$2${CENSOR}`],
  // ACS HMAC authorization: "HMAC-SHA256 SignedHeaders=...&Signature=<signature>".
  [/(Signature=)[^\s"\\&,;]+/gi, `$1${CENSOR}`],
  // Connection strings: "endpoint=...;accesskey=<key>", "...;Password=<password>;...".
  [/\b(accesskey|access_key|sharedaccesskey|password|pwd)=[^\s"\\;&]+/gi, `$1=${CENSOR}`],
  // Credentials in URLs: postgres://user:<password>@host, redis://:<password>@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/"\\]*:)[^\s@/"\\]+@/gi, `$1${CENSOR}@`],
];

/** Layers 2 and 3 on a finished line: secret-named properties censored, secret-shaped values replaced. */
export function censorLine(line: string): string {
  let censored = redactSecretNames(line);
  for (const [pattern, replacement] of SECRET_TEXT) censored = censored.replace(pattern, replacement);
  return censored;
}

// The request id of the HTTP request being served, on every line logged while serving it (Apollo's
// own lines, Express error handlers, anything below) unless the line or its logger already has one.
const hasRequestIdBinding = new WeakMap<Logger, boolean>();
function requestIdMixin(mergeObject: object, _level: number, logger: Logger): object {
  const requestId = currentRequestId();
  if (requestId === undefined || "requestId" in mergeObject) return {};
  let bound = hasRequestIdBinding.get(logger);
  if (bound === undefined) {
    bound = "requestId" in logger.bindings();
    hasRequestIdBinding.set(logger, bound);
  }
  return bound ? {} : { requestId };
}

/** The options of every logger this service builds (tests build theirs with the same ones). */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: CENSOR },
    mixin: requestIdMixin as LoggerOptions["mixin"],
    hooks: { streamWrite: censorLine },
  };
}

/** JSON lines to stdout, or to `destination` (e.g. an asynchronous pino.destination file). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}

export type { Logger };
