// The HTTP(S) front: raw node:http so that every header and body byte is under control. Order per ACS
// request: service headers, faults (they model the gateway, before auth), HMAC or Entra ID bearer
// token, api-version, route.
import { randomBytes } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import { handleAdmin, isAdminPath, type AdminDeps } from "./admin";
import { AcsErrorResponse, badRequest, denied, sendError, unsupportedApiVersion } from "./errors";
import type { FaultController } from "./faults";
import { verifyHmac } from "./hmac";
import {
  handleAcsRequest,
  IDENTITY_API_VERSIONS,
  isTeamsRoute,
  TEAMS_API_VERSIONS,
  type AcsContext,
} from "./routes";

const MAX_BODY_BYTES = 1_000_000;

export interface ServerDeps {
  acs: AcsContext;
  admin: AdminDeps;
  faults: FaultController;
  accessKey: string;
  skewSeconds: number;
  /** Verifies an Entra ID bearer token (null: accepted); absent, bearer tokens are refused. */
  verifyBearer?: (token: string) => Promise<string | null>;
  /** Serve HTTPS with this certificate. */
  tls?: { cert: string; key: string };
  /** Counts ACS API requests that reached the emulator (each SDK retry is one), and how they signed in. */
  stats: { requests: number; bearerAccepted: number; bearerRefused: number };
}

const BEARER = /^Bearer (\S+)$/;

export function createEmulatorServer(deps: ServerDeps): http.Server | https.Server {
  const key = Buffer.from(deps.accessKey, "base64");
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    readBody(req)
      .then((body) => {
        if (body === null) return sendError(res, new AcsErrorResponse(413, "BadRequest", "Body too large."));
        const pathname = rawPathname(req.url);
        if (isAdminPath(pathname)) return handleAdmin(deps.admin, req, res, pathname, body);
        return serveAcs(deps, key, req, res, body);
      })
      .catch(() => {
        if (!res.headersSent)
          sendError(
            res,
            new AcsErrorResponse(500, "InternalError", "The emulator failed to handle the request."),
          );
        else res.destroy();
      });
  };
  return deps.tls ? https.createServer({ ...deps.tls }, handler) : http.createServer(handler);
}

async function serveAcs(
  deps: ServerDeps,
  key: Buffer,
  req: IncomingMessage,
  res: ServerResponse,
  rawBody: Buffer,
): Promise<void> {
  const started = performance.now();
  deps.stats.requests += 1;
  const method = req.method ?? "GET";
  const url = new URL(req.url ?? "/", "http://emulator");
  // Split before decoding: an id may hold an encoded "/" (%2F) and must stay one segment.
  const segments = url.pathname.split("/").filter(Boolean).map(safeDecode);
  const supported = isTeamsRoute(segments) ? TEAMS_API_VERSIONS : IDENTITY_API_VERSIONS;

  // The headers the real service sends on every answer.
  res.setHeader("api-supported-versions", supported.join(", "));
  const clientRequestId = req.headers["x-ms-client-request-id"];
  if (typeof clientRequestId === "string") res.setHeader("x-ms-client-request-id", clientRequestId);
  res.setHeader("ms-cv", randomBytes(16).toString("base64").replace(/=+$/, ".0"));
  res.setHeader("request-context", "appId=");
  res.setHeader("x-cache", "CONFIG_NOCACHE");
  res.setHeader("x-azure-ref", `0${randomBytes(24).toString("base64")}`);
  const stamp = () => res.setHeader("x-processing-time", `${Math.round(performance.now() - started)}ms`);

  const fault = deps.faults.decide(method, url.pathname);
  if (fault.latencyMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
  if (fault.outcome === "drop") {
    // No answer at all: the client sees the connection reset (ECONNRESET / socket hang up).
    req.socket.destroy();
    return;
  }
  try {
    if (fault.outcome === "throttle") {
      if (fault.retryAfterSeconds !== undefined)
        res.setHeader("retry-after", String(fault.retryAfterSeconds));
      throw new AcsErrorResponse(429, "TooManyRequests", "The request rate is too high.");
    }
    if (fault.outcome === "unavailable") {
      if (fault.retryAfterSeconds !== undefined)
        res.setHeader("retry-after", String(fault.retryAfterSeconds));
      throw new AcsErrorResponse(503, "ServiceUnavailable", "The service is temporarily unavailable.");
    }
    // Why a signature or token failed is not told to the caller (same 401 Denied for every reason).
    const bearer = BEARER.exec(req.headers.authorization ?? "");
    if (bearer) {
      const refused = deps.verifyBearer ? await deps.verifyBearer(bearer[1]) : "no Entra ID issuer";
      if (refused !== null) {
        deps.stats.bearerRefused += 1;
        throw denied();
      }
      deps.stats.bearerAccepted += 1;
    } else if (verifyHmac(req, rawBody, key, deps.skewSeconds) !== null) throw denied();
    const apiVersion = url.searchParams.get("api-version");
    if (!apiVersion || !supported.includes(apiVersion)) throw unsupportedApiVersion(apiVersion);
    let body: unknown;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody.toString("utf8"));
      } catch {
        throw badRequest("The request body is not valid JSON.");
      }
    }
    const result = await handleAcsRequest(deps.acs, { method, segments, apiVersion, body });
    stamp();
    res.statusCode = result.status;
    if (result.body === undefined) return void res.end(); // 204: no body, no Content-Type
    res.setHeader("content-type", "application/json; charset=utf-8");
    res.end(JSON.stringify(result.body));
  } catch (error) {
    if (!(error instanceof AcsErrorResponse)) throw error;
    stamp();
    sendError(res, error);
  }
}

/** The path as sent (still percent-encoded), without the query. */
function rawPathname(url: string | undefined): string {
  const path = url ?? "/";
  const query = path.indexOf("?");
  return query === -1 ? path : path.slice(0, query);
}

/** The body's bytes, or null when it exceeds the limit (the rest is drained so we can still answer). */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
