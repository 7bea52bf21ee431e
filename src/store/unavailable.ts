// Tells a database outage (a transient condition: SERVICE_UNAVAILABLE) from a bug (INTERNAL).

/** Node socket errors: the server cannot be reached or the connection broke. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EPIPE"]);

/**
 * PostgreSQL SQLSTATEs that mean "not now" rather than "wrong": class 08 (connection exception),
 * 53300 too_many_connections, 57P01..57P03 (admin/crash shutdown, cannot connect now).
 */
const UNAVAILABLE_SQLSTATE = /^(08...|53300|57P0[123])$/;

/**
 * Messages of `pg` when the server went away. Not a pool or PGlite that we closed ourselves: that is
 * our bug (or a shutdown), not the database's outage.
 */
const UNAVAILABLE_MESSAGE =
  /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error/i;

/** True when `error`, or an error in its `cause` chain, says the database is out of reach for now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const e = current as { code?: unknown; message?: unknown; cause?: unknown; thrownValue?: unknown };
    if (typeof e.code === "string" && (NETWORK_CODES.has(e.code) || UNAVAILABLE_SQLSTATE.test(e.code)))
      return true;
    if (typeof e.message === "string" && UNAVAILABLE_MESSAGE.test(e.message)) return true;
    // graphql-js wraps a thrown value it does not see as an Error (another realm's) in NonErrorThrown.
    current = e.cause ?? e.thrownValue;
  }
  return false;
}
