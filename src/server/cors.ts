import cors from "cors";
import { sendJson, type Middleware } from "./middleware";

/** Origins of Apollo Studio and the Sandbox embedded in the local landing page. */
export const STUDIO_ORIGINS = ["https://studio.apollographql.com", "https://sandbox.embed.apollographql.com"];

/**
 * An allowlist: allowed origins get CORS headers; a preflight from any other origin is refused with
 * 403, so a browser on a disallowed origin cannot send credentials-bearing requests.
 */
export function corsAllowlist(origins: string[]): Middleware {
  const allowed = new Set(origins.map((origin) => new URL(origin).origin));
  const withHeaders = cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ["GET", "POST", "OPTIONS"],
    allowedHeaders: [
      "authorization",
      "content-type",
      "apollo-require-preflight",
      "x-apollo-operation-name",
      "x-request-id",
      "apollographql-client-name",
      "apollographql-client-version",
    ],
    exposedHeaders: ["x-request-id", "retry-after"],
    maxAge: 600,
  });
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (req.method === "OPTIONS" && origin && !allowed.has(origin)) {
      sendJson(res, 403, { error: "origin not allowed" });
      return;
    }
    withHeaders(req, res, next);
  };
}
