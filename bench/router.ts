// The router of the `router-mint` scenario: GraphQL Hive Gateway in its own process, configured as
// docs/router.md tells a deployment to (that page gives code, not a CLI): the composed supergraph, JWT
// verification against the issuer's JWKS, @authenticated/@requiresScopes enforced with the role ->
// permissions mapping `npm run router-config` committed in router/role-scopes.json, and the caller's
// bearer token passed on to the identity subgraph. No upstream retries (docs/router.md, "Known router gaps").
//
// Environment: SUPERGRAPH_FILE, AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE, AUTH_ALGORITHMS (default
// RS256), AUTH_ROLES_CLAIM (default roles), ROLE_SCOPES_FILE (default router/role-scopes.json),
// FEDERATION_TRACE_SECRET (optional), HOST, PORT.
//
// It imports nothing of the service, so its CPU time and memory are the router's own.
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";
import { createRemoteJwksSigningKeyProvider, useJWT } from "@graphql-mesh/plugin-jwt-auth";
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const roleScopes: Record<string, string[]> = JSON.parse(
  readFileSync(
    process.env.ROLE_SCOPES_FILE ?? path.resolve(__dirname, "../../router/role-scopes.json"),
    "utf8",
  ),
);
const rolesClaim = process.env.AUTH_ROLES_CLAIM ?? "roles";
const traceSecret = process.env.FEDERATION_TRACE_SECRET;

/** The permissions of the token's roles (as scripts/router-config.ts `scopesOfClaims`); nothing else grants a scope. */
function scopesOf(claims: Record<string, unknown>): string[] {
  const value = claims[rolesClaim];
  const roles = typeof value === "string" ? value.split(/[\s,]+/) : Array.isArray(value) ? value : [];
  return [
    ...new Set(
      roles.flatMap((role) =>
        typeof role === "string" && Object.hasOwn(roleScopes, role) ? roleScopes[role] : [],
      ),
    ),
  ];
}

const gateway = createGatewayRuntime({
  supergraph: readFileSync(env("SUPERGRAPH_FILE"), "utf8"),
  // The JWT plugin's context type is narrower than the runtime's plugin list: the shapes match.
  plugins: () => [
    useJWT({
      signingKeyProviders: [createRemoteJwksSigningKeyProvider({ jwksUri: env("AUTH_JWKS_URL") })],
      tokenVerification: {
        algorithms: (process.env.AUTH_ALGORITHMS ?? "RS256").split(",") as ["RS256"],
        issuer: process.env.AUTH_ISSUER,
        audience: process.env.AUTH_AUDIENCE,
      },
      // Anonymous requests go on: fields without directives are public.
      reject: { missingToken: false, invalidToken: true },
    }) as never,
  ],
  genericAuth: {
    mode: "protect-granular",
    resolveUserFn: (context: { jwt?: { payload?: Record<string, unknown> } }) => context.jwt?.payload,
    extractScopes: scopesOf,
    rejectUnauthenticated: false,
  },
  propagateHeaders: {
    fromClientToSubgraphs: ({ request, subgraphName }) => {
      if (subgraphName !== "identity") return {};
      const headers: Record<string, string> = {};
      const authorization = request.headers.get("authorization");
      if (authorization) headers.authorization = authorization;
      // TRACE_SECRET_HEADER of src/server/trace-gate.ts, not imported: that module loads Apollo Server.
      if (traceSecret) headers["x-federation-trace-secret"] = traceSecret;
      return headers;
    },
  },
});

const server = http.createServer(gateway);
server.listen(Number(process.env.PORT ?? 4000), process.env.HOST ?? "0.0.0.0", () => {
  process.stdout.write(
    `router ready: http://${process.env.HOST ?? "0.0.0.0"}:${process.env.PORT ?? 4000}/graphql\n`,
  );
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  void Promise.resolve(gateway.dispose()).then(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
