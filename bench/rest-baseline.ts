// The REST baseline: the mint of `issueMyAccessToken` written by hand as one REST endpoint, without
// GraphQL, from the service's own building blocks (configuration, bearer verifier, store, ACS backend,
// audit log). It does the work a mint needs and nothing more: the bearer check, the owner lookup
// through the service's owner cache (the identity is created on a caller's first mint, through the
// service's creation ledger), the SDK call and the audit insert (the same row as the service writes,
// with a request id), so the same one SQL statement as a repeat mint of the service. No policy, rate
// limits or request log: what the service spends beyond this is what the GraphQL mint's ratio to it
// shows.
//
// With REST_BASELINE_CORE=true it is the service's core instead (the `rest-core` scenario): the same
// endpoint calls the identity core as the service assembles it (src/server/identity-core.ts: the policy,
// the rate limits, ACS behind the resilience decorator, the audit trail), builds the caller with the
// service's own context factory, and logs and counts each request as the service does. What the GraphQL
// mint spends beyond this is the GraphQL layer's own cost (Apollo Server, graphql-js, type-graphql).
//
//   POST /mint  {"scopes": ["chat", "voip"]}  with  Authorization: Bearer <token>  ->  {token, expiresOn}
//
// Run from the build as its own process: `node dist/bench/rest-baseline.js`, configured like the service
// (DATA_DIR, DATABASE_URL, ACS_CONNECTION_STRING, PORT, HOST); it needs ACS_CONNECTION_STRING.
import express from "express";
import { randomUUID } from "node:crypto";
import http from "node:http";
import { createAcsBackend } from "../src/acs";
import {
  createBearerVerifier,
  DEFAULT_VERIFIED_CACHE,
  loadOrCreateDevIssuer,
  loadPolicy,
  withVerifiedCache,
} from "../src/auth";
import { loadConfig } from "../src/config";
import { AppError } from "../src/errors";
import type { IdentityService } from "../src/identity";
import { MAX_TOKEN_MINUTES, type AcsScope } from "../src/identity/model";
import { OwnerCache } from "../src/identity/owner-cache";
import { IdentityProvisioner } from "../src/identity/provisioning";
import { createRateLimiter } from "../src/ratelimit";
import { openStore } from "../src/store";
import { clientAddress } from "../src/server/client-address";
import { createContextFactory } from "../src/server/context";
import { createIdentityService, resilientAcs } from "../src/server/identity-core";
import { createLogger } from "../src/server/logger";
import { createMetrics } from "../src/server/metrics";
import type { Req, Res } from "../src/server/middleware";

async function main() {
  const config = loadConfig();
  if (config.acs.kind !== "connectionString") throw new Error("set ACS_CONNECTION_STRING (the emulator's)");
  const acs = createAcsBackend({
    connectionString: config.acs.connectionString,
    timeoutMs: config.acs.timeoutMs,
    maxRetries: config.acs.maxRetries,
  });
  const store = await openStore(config.database);
  // The service's verifier, with its cache of verified tokens.
  const verifier = withVerifiedCache(
    createBearerVerifier(config.auth, await loadOrCreateDevIssuer(config.dataDir)),
    { ...DEFAULT_VERIFIED_CACHE, maxHeaderLength: "Bearer ".length + config.auth.maxTokenBytes },
  );
  // The service's owner-to-identity cache, so a repeat mint reads nothing from the database here too.
  const owners = new OwnerCache();
  const minutes = MAX_TOKEN_MINUTES; // what the service asks for a `user` who names no lifetime
  // The service's creates: the creation ledger, with the same settings as src/server/start-service.ts.
  const provisioner = new IdentityProvisioner(
    acs,
    store.identities,
    store.creations,
    {
      repeatSafe: config.acs.customId,
      leaseMs: config.acs.timeoutMs + 5_000,
      ownerWaitMs: config.consistency.ownerCreateWaitMs,
    },
    () => new Date(),
  );
  const operation = "POST /mint";

  const plainMint = async (req: express.Request, res: express.Response) => {
    try {
      const { subject } = await verifier.authenticate(req.headers.authorization);
      if (subject === null) return void res.status(401).json({ error: "UNAUTHENTICATED" });
      const scopes = (req.body as { scopes: AcsScope[] }).scopes;
      const found = await owners.find(subject, (owner) => store.identities.findActiveByOwner(owner));
      let record = found.record;
      if (!record) {
        // A first mint creates the identity through the creation ledger, as the service does.
        record = (
          await provisioner.forOwner({ owner: subject, createdBy: subject, requestId: null, operation })
        ).record;
        found.keep(record);
      }
      const issued = await acs.issueToken(record.id, scopes, minutes);
      await store.audit.record({
        at: new Date(),
        actor: subject,
        action: "token.issue",
        identityId: record.id,
        scopes,
        expiresOn: issued.expiresOn,
        outcome: "success",
        errorCode: null,
        // The same row as the service's: a request id of its own and the caller's kind.
        requestId: randomUUID(),
        callerKind: "subject",
        operation,
      });
      res.json({ token: issued.token, expiresOn: issued.expiresOn });
    } catch (error) {
      const code = error instanceof AppError ? error.code : "INTERNAL";
      res.status(code === "UNAUTHENTICATED" ? 401 : 500).json({ error: code });
    }
  };

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.post(
    "/mint",
    express.json(),
    process.env.REST_BASELINE_CORE === "true" ? coreMint(config, acs, store, verifier) : plainMint,
  );

  const server = http.createServer({ keepAliveTimeout: 5_000 }, app);
  server.listen(config.port, config.host, () =>
    process.stdout.write(`rest baseline ready on ${config.port}\n`),
  );
  const stop = () => {
    server.close(() => void store.close().then(() => process.exit(0)));
    server.closeAllConnections();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

/**
 * The same endpoint over the service's core: the identity core, caller and request line built by the
 * service's own code, as the GraphQL route and its logging plugin do (headers, request id, log line,
 * metrics), without Apollo Server, graphql-js or type-graphql.
 */
function coreMint(
  config: ReturnType<typeof loadConfig>,
  sdkBackend: ReturnType<typeof createAcsBackend>,
  store: Awaited<ReturnType<typeof openStore>>,
  verifier: ReturnType<typeof withVerifiedCache>,
) {
  const logger = createLogger(config.logLevel);
  const metrics = createMetrics();
  const limiter = createRateLimiter(config, logger, metrics.rateLimitRefused);
  const acs = resilientAcs(sdkBackend, config, metrics);
  const identities: IdentityService = createIdentityService(config, {
    acs,
    store,
    limiter,
    tokenCache: undefined,
    metrics,
  });
  const context = createContextFactory({
    policy: loadPolicy(config.policyFile),
    identities,
    clientAddress: clientAddress(config.http.trustProxy),
  });
  return async (req: express.Request, res: express.Response) => {
    const started = process.hrtime.bigint();
    const locals = (res.locals = { requestId: randomUUID(), clientRequestId: null } as Record<
      string,
      unknown
    >);
    res.setHeader("x-content-type-options", "nosniff");
    res.setHeader("cache-control", "no-store");
    res.setHeader("x-request-id", locals.requestId as string);
    let code = "OK";
    let subject: string | null = null;
    try {
      locals.principal = await verifier.authenticate(req.headers.authorization);
      const { caller } = await context(req as Req, res as unknown as Res);
      subject = caller.subject;
      const scopes = (req.body as { scopes: AcsScope[] }).scopes;
      const minted = await identities.tokens.issueMyAccessToken(
        { ...caller, operation: "Mutation.issueMyAccessToken" },
        scopes,
        null,
      );
      res.json({ token: minted.token, expiresOn: minted.expiresOn });
    } catch (error) {
      code = error instanceof AppError ? error.code : "INTERNAL";
      res.status(code === "UNAUTHENTICATED" ? 401 : 500).json({ error: code });
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.observeOperation("mutation", code, seconds);
    logger.info(
      { requestId: locals.requestId, operation: "mutation", subject, code, ms: Math.round(seconds * 1000) },
      "rest",
    );
  };
}

main().catch((error: unknown) => {
  process.stderr.write(
    `rest baseline failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
