import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";

// Secrets must never reach a log line: bearer tokens, ACS tokens, access keys, connection strings,
// passwords, cookies. Three layers, all through pino's public hooks, each catching what the one before
// cannot:
//   1. REDACTED_PATHS: pino's compiled redaction for the shapes we know (request headers, errors'
//      request configs). Exact paths, applied as pino serializes the line.
//   2. Secret-named properties at any depth and in any casing or spelling (authorization,
//      Authorization, access_token, acsToken, ACS_CONNECTION_STRING, ...): `formatters.log` and
//      `formatters.bindings` walk each line's object and its logger's bindings (errors are serialized
//      with pino's own error serializer first, so their causes and configs are walked too).
//   3. Values shaped like secrets wherever they sit, e.g. inside an error message: JWTs,
//      "Bearer ...", HMAC signatures, "accesskey=...", passwords in URLs. The same walk scrubs every
//      string value, and `hooks.logMethod` scrubs the message and its interpolation arguments.

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
  let secret = knownKeys.get(key);
  if (secret === undefined) {
    const k = key.toLowerCase().replace(/[^a-z0-9]/g, "");
    secret =
      SECRET_KEY_PARTS.some((part) => k.includes(part)) ||
      SECRET_KEY_SUFFIXES.some((suffix) => k.endsWith(suffix)) ||
      (SECRET_KEY_NAMES as readonly string[]).includes(k);
    // Every line walks its keys, and nearly all are the same few names: remember them (bounded, since
    // an error may carry keys of any name).
    if (knownKeys.size >= 1_000) knownKeys.clear();
    knownKeys.set(key, secret);
  }
  return secret;
}
const knownKeys = new Map<string, boolean>();

// pino's compiled paths, applied as each line is serialized. Exact paths only: a path that starts with
// a wildcard ("*.token") makes pino run its redaction on every property of every line, and that cost 10
// to 15 µs and 10 KB of garbage per line (@pinojs/redact parses every path again on each call), for
// names that layer 2 censors at any depth anyway.
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
  "accessToken",
  "accessKey",
  "connectionString",
  "password",
];

const MAX_DEPTH = 32;

/**
 * A censored copy of an error that is still an error of its class, so pino's error serializer gives
 * it its real `type`; its message, stack, cause and every other property are censored like any value.
 */
function redactedError(error: Error, depth: number): Error {
  const { type: _type, ...fields } = redactSecrets(
    { ...pino.stdSerializers.err(error) },
    depth + 1,
  ) as Record<string, unknown>;
  const copy = Object.create(Object.getPrototypeOf(error)) as Error;
  for (const [key, value] of Object.entries(fields))
    Object.defineProperty(copy, key, {
      value,
      enumerable: key !== "message" && key !== "stack",
      writable: true,
    });
  return copy;
}

/**
 * A copy of a log object with every secret-named property's value censored and every string scrubbed
 * of secret-shaped values, at any depth. Errors are serialized first (type, message, stack, causes).
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return scrubText(value);
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return value;
  if (value instanceof Error) return redactedError(value, depth);
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  if (value instanceof Date) return value;
  const record = value as Record<string, unknown>;
  // A plain object with nothing to censor is returned as it is (most lines: a request's few fields);
  // anything else becomes a plain copy, so no class's toJSON or getter is left to run on unwalked data.
  const prototype = Object.getPrototypeOf(record) as unknown;
  let copy: Record<string, unknown> | undefined =
    prototype === Object.prototype || prototype === null ? undefined : {};
  const keys = Object.keys(record);
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i];
    const item = record[key];
    const clean =
      isSecretKey(key) && item !== null && item !== undefined ? CENSOR : redactSecrets(item, depth + 1);
    if (copy === undefined && clean !== item) {
      copy = {};
      for (let j = 0; j < i; j += 1) copy[keys[j]] = record[keys[j]];
    }
    if (copy !== undefined) copy[key] = clean;
  }
  return copy ?? record;
}

// Layer 3: values shaped like secrets, wherever they appear in a string (quotes and backslashes bound the
// matches, as they do in JSON). Each pattern comes with a word it cannot match without (case-insensitive):
// one test for any of them tells most strings (ids, codes, names) to skip the replacements, which cost
// more than anything else in a line.
const SECRET_TEXT: Array<[pattern: RegExp, replacement: string, needs: string]> = [
  // JWTs and their parts: every JWT header and payload is base64url JSON, so starts with "eyJ".
  [/eyJ[A-Za-z0-9_-]{12,}(?:\.[A-Za-z0-9_-]*){0,2}/g, CENSOR, "eyJ"],
  // An authorization value quoted in a message: "Bearer <token>", "Basic <credentials>".
  // (12+ credential characters, so prose such as "bearer token missing" stays readable).
  [/\b(Bearer|Basic|Negotiate)( +)[A-Za-z0-9._~+/=-]{12,}/gi, `$1$2${CENSOR}`, "bearer|basic|negotiate"],
  // ACS HMAC authorization: "HMAC-SHA256 SignedHeaders=...&Signature=<signature>".
  [/(Signature=)[^\s"\\&,;]+/gi, `$1${CENSOR}`, "signature="],
  // Connection strings: "endpoint=...;accesskey=<key>", "...;Password=<password>;...".
  [
    /\b(accesskey|access_key|sharedaccesskey|password|pwd)=[^\s"\\;&]+/gi,
    `$1=${CENSOR}`,
    "access_?key|password|pwd",
  ],
  // Credentials in URLs: postgres://user:<password>@host, redis://:<password>@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/"\\]*:)[^\s@/"\\]+@/gi, `$1${CENSOR}@`, ":\\/\\/"],
];
const MAYBE_SECRET = new RegExp(SECRET_TEXT.map(([, , needs]) => needs).join("|"), "i");

/** Layer 3 on one string: secret-shaped values replaced. */
export function scrubText(text: string): string {
  if (!MAYBE_SECRET.test(text)) return text;
  let scrubbed = text;
  for (const [pattern, replacement] of SECRET_TEXT) scrubbed = scrubbed.replace(pattern, replacement);
  return scrubbed;
}

/** The options of every logger this service builds (tests build theirs with the same ones). */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: CENSOR },
    formatters: {
      log: (object) => redactSecrets(object) as Record<string, unknown>,
      bindings: (bindings) => redactSecrets(bindings) as Record<string, unknown>, // the root's only
    },
    hooks: {
      logMethod(args, method) {
        // In place: the arguments are this call's own array.
        for (let i = 0; i < args.length; i += 1) {
          const arg: unknown = args[i];
          if (typeof arg === "string") args[i] = scrubText(arg);
        }
        method.apply(this, args);
      },
    },
  };
}

/**
 * JSON lines to stdout, or to `destination`. Stdout is written synchronously, one write per line, as
 * pino does by default: handing each write to Node's thread pool instead cost about 33 µs of the
 * process's CPU per line on a 2-core VM, against 2.6 µs for the write itself. Nothing is held back, so
 * no line is lost when the process is killed; a reader of stdout that stops reading stalls the service.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return redactingChildren(
    pino(loggerOptions(level), destination ?? pino.destination({ dest: 1, sync: true })),
  );
}

/**
 * Child loggers' bindings are censored as they are bound. (pino's `formatters.bindings` applies to the
 * root logger's bindings only.) Children are created from their parent's prototype, so this reaches
 * every descendant.
 */
export function redactingChildren(logger: Logger): Logger {
  const child = logger.child.bind(logger);
  const original = Object.getPrototypeOf(logger) === null ? child : logger.child;
  logger.child = function (this: Logger, bindings, options) {
    return original.call(this, redactSecrets(bindings) as typeof bindings, options);
  } as Logger["child"];
  return logger;
}

export type { Logger };
