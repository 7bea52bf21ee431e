// Emulator-only endpoints under /_emulator/: token validity and JWKS are open (they reveal nothing
// secret); faults and reset change behaviour, so they need the access key.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FaultController, FaultRule } from "./faults";
import type { EmulatorState } from "./state";
import type { TokenSigner } from "./tokens";
import { validateToken } from "./validity";

export interface AdminDeps {
  state: EmulatorState;
  signer: TokenSigner;
  faults: FaultController;
  accessKey: string;
  stats: () => Record<string, number>;
}

export const ADMIN_PREFIX = "/_emulator/";
export const isAdminPath = (pathname: string) =>
  pathname.startsWith(ADMIN_PREFIX) || pathname === "/.well-known/jwks.json";

export async function handleAdmin(
  deps: AdminDeps,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  rawBody: Buffer,
): Promise<void> {
  const json = (status: number, body: unknown) => {
    res.statusCode = status;
    res.setHeader("content-type", "application/json; charset=utf-8");
    res.setHeader("cache-control", "no-store");
    res.end(JSON.stringify(body));
  };
  const fail = (status: number, code: string, message: string) => json(status, { error: { code, message } });
  const method = req.method ?? "GET";

  if ((pathname === "/_emulator/jwks" || pathname === "/.well-known/jwks.json") && method === "GET")
    return json(200, await deps.signer.jwks());
  if (pathname === "/_emulator/stats" && method === "GET") return json(200, deps.stats());
  if (pathname === "/_emulator/tokens/validate" && method === "POST") {
    const token = (parseJson(rawBody) as { token?: unknown } | undefined)?.token;
    if (typeof token !== "string") return fail(400, "BadRequest", 'Send {"token": "..."}.');
    return json(200, await validateToken(deps, token));
  }

  const known = pathname === "/_emulator/reset" || pathname === "/_emulator/faults";
  if (!known) return fail(404, "NotFound", "Unknown emulator endpoint.");
  if (!hasAccessKey(req, deps.accessKey))
    return fail(401, "Denied", "Send the emulator's access key in x-emulator-access-key.");

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
      // Either a bare array of rules or { rules, seed? }.
      const body = parseJson(rawBody) as FaultRule[] | { rules?: unknown; seed?: unknown } | undefined;
      const rules = Array.isArray(body) ? body : body?.rules;
      const seed = Array.isArray(body) ? undefined : body?.seed;
      try {
        deps.faults.set(rules as FaultRule[], { seed: seed as number | undefined });
      } catch (error) {
        return fail(400, "BadRequest", (error as Error).message);
      }
      return json(200, { rules: deps.faults.list() });
    }
  }
  res.setHeader("allow", pathname === "/_emulator/reset" ? "POST" : "GET, PUT, DELETE");
  return fail(405, "MethodNotAllowed", `${method} is not allowed here.`);
}

function parseJson(rawBody: Buffer): unknown {
  try {
    return rawBody.length ? JSON.parse(rawBody.toString("utf8")) : undefined;
  } catch {
    return undefined;
  }
}

function hasAccessKey(req: IncomingMessage, accessKey: string): boolean {
  const given = req.headers["x-emulator-access-key"];
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(accessKey);
  return a.length === b.length && timingSafeEqual(a, b);
}
