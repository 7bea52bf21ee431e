import { randomBytes, timingSafeEqual } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { AcsErrorResponse, badRequest, denied, sendError, unsupportedApiVersion } from "./errors";
import type { FaultController, FaultRule } from "./faults";
import { verifyHmac } from "./hmac";
import {
  handleAcsRequest,
  IDENTITY_API_VERSIONS,
  isTeamsRoute,
  TEAMS_API_VERSIONS,
  type AcsContext,
} from "./routes";
import type { EmulatorState } from "./state";
import type { TokenSigner } from "./tokens";

const MAX_BODY_BYTES = 1_000_000;

export interface ServerDeps {
  acs: AcsContext;
  state: EmulatorState;
  signer: TokenSigner;
  faults: FaultController;
  accessKey: string;
  skewSeconds: number;
  stats: { requests: number };
}

export function createEmulatorServer(deps: ServerDeps): http.Server {
  const key = Buffer.from(deps.accessKey, "base64");
  return http.createServer((req, res) => {
    readBody(req)
      .then(
        (body) => route(deps, key, req, res, body),
        () => sendError(res, badRequest("The request body is too large.")),
      )
      .catch(() => {
        if (!res.headersSent)
          sendError(
            res,
            new AcsErrorResponse(500, "InternalError", "The emulator failed to handle the request."),
          );
      });
  });
}

async function route(
  deps: ServerDeps,
  key: Buffer,
  req: IncomingMessage,
  res: ServerResponse,
  rawBody: Buffer,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://emulator");
  if (url.pathname.startsWith("/_emulator/") || url.pathname === "/.well-known/jwks.json") {
    return admin(deps, req, res, url.pathname, rawBody);
  }
  const started = Date.now();
  deps.stats.requests += 1;
  const segments = url.pathname.split("/").filter(Boolean).map(safeDecode);
  res.setHeader(
    "api-supported-versions",
    (isTeamsRoute(segments) ? TEAMS_API_VERSIONS : IDENTITY_API_VERSIONS).join(", "),
  );
  const clientRequestId = req.headers["x-ms-client-request-id"];
  if (typeof clientRequestId === "string") res.setHeader("x-ms-client-request-id", clientRequestId);
  res.setHeader("ms-cv", randomBytes(16).toString("base64").replace(/=+$/, ".0"));
  res.setHeader("request-context", "appId=");
  res.setHeader("x-cache", "CONFIG_NOCACHE");

  const fault = deps.faults.decide(req.method ?? "GET", url.pathname);
  if (fault.latencyMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
  if (fault.outcome === "drop") {
    req.socket.destroy();
    return;
  }
  if (fault.outcome === "throttle" || fault.outcome === "unavailable") {
    if (fault.retryAfterSeconds !== undefined) res.setHeader("retry-after", String(fault.retryAfterSeconds));
    return sendError(
      res,
      fault.outcome === "throttle"
        ? new AcsErrorResponse(429, "TooManyRequests", "The request rate is too high.")
        : new AcsErrorResponse(503, "ServiceUnavailable", "The service is temporarily unavailable."),
    );
  }

  try {
    if (verifyHmac(req, rawBody, key, deps.skewSeconds) !== null) throw denied();
    const apiVersion = url.searchParams.get("api-version");
    const supported = isTeamsRoute(segments) ? TEAMS_API_VERSIONS : IDENTITY_API_VERSIONS;
    if (!apiVersion || !supported.includes(apiVersion)) throw unsupportedApiVersion(apiVersion);
    let body: unknown;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody.toString("utf8"));
      } catch {
        throw badRequest("The request body is not valid JSON.");
      }
    }
    const result = await handleAcsRequest(deps.acs, {
      method: req.method ?? "GET",
      segments,
      apiVersion,
      body,
    });
    res.setHeader("x-processing-time", `${Date.now() - started}ms`);
    res.statusCode = result.status;
    if (result.body === undefined) return void res.end();
    res.setHeader("content-type", "application/json; charset=utf-8");
    res.end(JSON.stringify(result.body));
  } catch (error) {
    if (error instanceof AcsErrorResponse) return sendError(res, error);
    throw error;
  }
}

/** Emulator-only endpoints: token validity, JWKS, stats (open); faults and reset (need the access key). */
async function admin(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  rawBody: Buffer,
) {
  const json = (status: number, body: unknown) => {
    res.statusCode = status;
    res.setHeader("content-type", "application/json; charset=utf-8");
    res.end(JSON.stringify(body));
  };
  const parse = (): unknown => {
    try {
      return rawBody.length ? JSON.parse(rawBody.toString("utf8")) : undefined;
    } catch {
      return undefined;
    }
  };
  const method = req.method ?? "GET";
  if (pathname === "/_emulator/jwks" || pathname === "/.well-known/jwks.json")
    return json(200, await deps.signer.jwks());
  if (pathname === "/_emulator/stats" && method === "GET")
    return json(200, {
      ...deps.acs.stats,
      requests: deps.stats.requests,
      faultsInjected: deps.faults.injected,
    });
  if (pathname === "/_emulator/tokens/validate" && method === "POST") {
    const token = (parse() as { token?: unknown } | undefined)?.token;
    if (typeof token !== "string")
      return json(400, { error: { code: "BadRequest", message: 'Send {"token": "..."}.' } });
    return json(200, await validateToken(deps, token));
  }
  if (!hasAccessKey(req, deps.accessKey))
    return json(401, { error: { code: "Denied", message: "Send the access key in x-emulator-access-key." } });
  if (pathname === "/_emulator/reset" && method === "POST") {
    deps.state.reset();
    return json(200, { reset: true });
  }
  if (pathname === "/_emulator/faults") {
    if (method === "GET") return json(200, { rules: deps.faults.list() });
    if (method === "DELETE") {
      deps.faults.clear();
      return json(200, { rules: [] });
    }
    if (method === "PUT") {
      const body = parse() as FaultRule[] | { rules?: FaultRule[] } | undefined;
      const rules = Array.isArray(body) ? body : body?.rules;
      try {
        deps.faults.set(Array.isArray(rules) ? rules : []);
      } catch (error) {
        return json(400, { error: { code: "BadRequest", message: (error as Error).message } });
      }
      return json(200, { rules: deps.faults.list() });
    }
  }
  return json(404, { error: { code: "NotFound", message: "Unknown emulator endpoint." } });
}

export interface TokenValidity {
  valid: boolean;
  reason?: "malformed" | "bad_signature" | "expired" | "revoked" | "identity_deleted" | "identity_unknown";
  identity?: string;
  scopes?: string[];
  expiresOn?: string;
}

/** Would ACS accept this token now? Signature, expiry, revocation and the identity's existence. */
export async function validateToken(
  deps: Pick<ServerDeps, "signer" | "state">,
  token: string,
): Promise<TokenValidity> {
  if (token.split(".").length !== 3) return { valid: false, reason: "malformed" };
  const claims = await deps.signer.verify(token);
  if (!claims) return { valid: false, reason: "bad_signature" };
  const identity = typeof claims.skypeid === "string" ? `8:${claims.skypeid}` : undefined;
  const facts = {
    identity,
    scopes: typeof claims.acsScope === "string" ? claims.acsScope.split(",") : [],
    expiresOn: claims.exp ? new Date(claims.exp * 1000).toISOString() : undefined,
  };
  if (identity?.startsWith("8:acs:")) {
    const known = deps.state.identities.get(identity);
    if (!known) return { valid: false, reason: "identity_unknown", ...facts };
    if (known.deletedAtMs) return { valid: false, reason: "identity_deleted", ...facts };
    const issuedAtMs = typeof claims.emu_iat_ms === "number" ? claims.emu_iat_ms : (claims.iat ?? 0) * 1000;
    if (known.revokedAtMs !== undefined && issuedAtMs <= known.revokedAtMs)
      return { valid: false, reason: "revoked", ...facts };
  }
  if (!claims.exp || claims.exp * 1000 <= Date.now()) return { valid: false, reason: "expired", ...facts };
  return { valid: true, ...facts };
}

function hasAccessKey(req: IncomingMessage, accessKey: string): boolean {
  const given = req.headers["x-emulator-access-key"];
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(accessKey);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error("body too large"));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
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
