// A real OpenID Provider for tests: oidc-provider (a certified implementation), run as its own Node
// process because it is an ES module with its own dependency tree, started by oidc-provider.ts.
// Configuration arrives as JSON in env OIDC_TEST_CONFIG; the issuer URL is printed as the first stdout
// line. It issues JWT access tokens for resource indicators (client credentials and authorization
// code, with devInteractions' login and consent forms), puts each client's or user's roles in a
// `roles` claim, rotates its signing keys on demand (POST /__keys {"action":"add"|"retire"}) and
// counts the requests it answers (GET /__requests).
import express from "express";
import { exportJWK, generateKeyPair } from "jose";
import { randomUUID } from "node:crypto";
import http from "node:http";
import https from "node:https";
import Provider from "oidc-provider";

/**
 * @typedef {{
 *   tls?: { cert: string, key: string },
 *   basePath: string,
 *   clients: Array<Record<string, unknown>>,
 *   resources: Record<string, { scope: string, ttlSeconds?: number }>,
 *   defaultResource: Record<string, string>,
 *   clientRoles: Record<string, string[]>,
 *   userRoles: Record<string, string[]>,
 * }} Config
 */
/** @type {Config} */
const config = JSON.parse(process.env.OIDC_TEST_CONFIG ?? "{}");

/** Signing keys, newest first: oidc-provider signs with the first key of the algorithm. */
const keys = [await newKey()];

async function newKey() {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: "RS256", use: "sig" };
}

let issuer = "";
/** @type {Provider} */
let provider;

function buildProvider() {
  const next = new Provider(issuer, {
    clients: config.clients,
    jwks: { keys },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, client, oneOf) => oneOf ?? config.defaultResource[client.clientId],
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          const server = config.resources[resource];
          if (!server) throw new Provider.errors.InvalidTarget();
          return {
            scope: server.scope,
            audience: resource,
            accessTokenTTL: server.ttlSeconds ?? 600,
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: "RS256" } },
          };
        },
      },
    },
    // Roles the way Entra ID puts app roles in tokens: a `roles` array.
    extraTokenClaims: (_ctx, token) => {
      const roles = token.accountId ? config.userRoles[token.accountId] : config.clientRoles[token.clientId];
      return roles ? { roles } : undefined;
    },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    pkce: { required: () => true },
    cookies: { keys: ["test-cookie-key-not-a-secret"] },
  });
  // Tests run on 127.0.0.1 over http too; oidc-provider otherwise refuses insecure cookies and URLs.
  next.proxy = false;
  return next;
}

/** Requests per path (without the issuer's base path), so tests can say what a flow cost. */
const requests = {};
const app = express();
app.use((req, _res, next) => {
  const path = req.path.startsWith(config.basePath || "/")
    ? req.path.slice((config.basePath ?? "").length)
    : req.path;
  const key = `${req.method} ${path.replace(/\/(interaction|auth)\/[\w-]+$/, "/$1/:uid")}`;
  requests[key] = (requests[key] ?? 0) + 1;
  next();
});
app.get("/__requests", (_req, res) => res.json(requests));
app.post("/__keys", express.json(), async (req, res) => {
  if (req.body?.action === "add") keys.unshift(await newKey());
  else if (req.body?.action === "retire" && keys.length > 1) keys.pop();
  else return void res.status(400).json({ error: "action must be add or retire (keeping one key)" });
  provider = buildProvider();
  res.json({ kids: keys.map((key) => key.kid) });
});
app.get("/__keys", (_req, res) => res.json({ kids: keys.map((key) => key.kid) }));
app.use(config.basePath || "/", (req, res) => provider.callback()(req, res));

const server = config.tls
  ? https.createServer({ cert: config.tls.cert, key: config.tls.key }, app)
  : http.createServer(app);
server.listen(0, "127.0.0.1", () => {
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  issuer = `${config.tls ? "https" : "http"}://127.0.0.1:${port}${config.basePath ?? ""}`;
  provider = buildProvider();
  process.stdout.write(`${issuer}\n`);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
