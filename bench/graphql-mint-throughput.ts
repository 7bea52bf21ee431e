// The service's mint path (HTTP, auth, policy, rate limit, store, SDK, emulator) against the backend
// floor in the same run: the SDK issuing tokens from the emulator directly.
import { CommunicationIdentityClient } from "@azure/communication-identity";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import "reflect-metadata";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/server/logger";
import { startService } from "../src/server/start-service";
import { measure } from "./measure";

const MUTATION = JSON.stringify({
  query: "mutation { issueMyAccessToken(scopes: [CHAT, VOIP]) { token expiresOn } }",
});

export async function benchGraphqlMintThroughput({ seconds = 5, concurrency = 16 } = {}) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "bench-"));
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: "0",
    LOG_LEVEL: "silent",
    RATE_LIMIT_MINT_PER_MINUTE: "100000000",
    RATE_LIMIT_MINT_PER_MINUTE_PER_ADDRESS: "100000000",
  });
  config.database = { kind: "embedded", dir: "memory://" };
  // The emulator has no quota; settings refuse a budget above real ACS's, so lift it here only.
  config.acsQuota.mint = 100_000_000;
  const service = await startService(config, { logger: createLogger("silent") });
  try {
    const bearer = await service.devIssuer!.sign({ sub: "bench-user", roles: ["user"], ttlSeconds: 3600 });
    const mint = async () => {
      const response = await fetch(service.graphqlUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
        body: MUTATION,
      });
      const body = (await response.json()) as { errors?: unknown[] };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
    };
    const sdk = new CommunicationIdentityClient(service.emulator!.connectionString, {
      allowInsecureConnection: true,
    });
    const user = await sdk.createUser();
    await measure(mint, { seconds: 1, concurrency }); // warm up (creates the identity)
    const floor = await measure(() => sdk.getToken(user, ["chat", "voip"]), { seconds, concurrency });
    const graphql = await measure(mint, { seconds, concurrency });
    return {
      name: "issueMyAccessToken throughput over HTTP (embedded default)",
      concurrency,
      graphql,
      baseline: { what: "SDK getToken straight into the emulator (the backend floor)", ...floor },
      ratioToBaseline: Number((graphql.opsPerSecond / floor.opsPerSecond).toFixed(3)),
    };
  } finally {
    await service.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
