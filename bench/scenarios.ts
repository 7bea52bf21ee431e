// What is measured side by side: the service's mint over GraphQL (direct, and through the router), the
// same mint as a hand-written REST endpoint (the baseline), and the SDK calling the emulator directly
// (the floor, no service at all). Every operation checks that its response carries a token.
import type { CommunicationIdentityClient } from "@azure/communication-identity";
import type { CommunicationUserIdentifier } from "@azure/communication-common";
import { assertToken, postJson, type Operation } from "./load";
import type { ServerProcess } from "./processes";

export const SCOPES = ["chat", "voip"] as const;
const MINT = "mutation Mint { issueMyAccessToken(scopes: [CHAT, VOIP]) { token expiresOn } }";

/** Every scenario by name, with what it measures (the report names them so). */
export const SCENARIOS = {
  "graphql-mint": "issueMyAccessToken over GraphQL (the service as `npm start` runs it)",
  "graphql-mint-reuse":
    "the same mint with token reuse on (TOKEN_REUSE=true, in-memory cache): repeat requests answered from kept tokens",
  "router-mint":
    "the same mint through the router (Hive Gateway, bench/router.ts) enforcing @authenticated/@requiresScopes with JWT auth, in front of the graphql-mint service",
  "rest-baseline": "the same mint as one hand-written REST endpoint (bench/rest-baseline.ts), no GraphQL",
  "rest-core":
    "the same REST endpoint over the service's core (REST_BASELINE_CORE=true): its policy, rate limits, ACS resilience, audit trail, request log and metrics, no GraphQL; throughput and CPU only",
  "sdk-floor": "the SDK's getToken straight into the emulator (no service)",
};

export interface Scenario {
  name: keyof typeof SCENARIOS;
  what: string;
  /** The process whose CPU time per operation and peak memory are this scenario's own. */
  server: ServerProcess;
  operation: Operation;
  /** No latency phase: the scenario is measured for throughput and CPU only. */
  throughputOnly?: boolean;
}

/**
 * `issueMyAccessToken` over GraphQL; `bearers[user]` is virtual user `user`'s bearer token. For
 * `router-mint`, `server` is the router and `url` its address: the CPU and memory charged are the router's.
 */
export function graphqlMint(
  service: ServerProcess,
  url: string,
  bearers: string[],
  name: "graphql-mint" | "graphql-mint-reuse" | "router-mint" = "graphql-mint",
): Scenario {
  return {
    name,
    what: SCENARIOS[name],
    server: service,
    operation: (user) => mintOverGraphql(url, bearers[user]),
  };
}

export async function mintOverGraphql(url: string, bearer: string): Promise<void> {
  const { status, body } = await postJson(
    `${url}/graphql`,
    { query: MINT },
    { authorization: `Bearer ${bearer}` },
  );
  const token = (body as { data?: { issueMyAccessToken?: { token?: unknown } } }).data?.issueMyAccessToken
    ?.token;
  // A refusal (the router's UNAUTHORIZED_FIELD_OR_TYPE, say) answers 200 with errors: show them.
  if (status !== 200 || token === undefined || token === null)
    throw new Error(`graphql mint: HTTP ${status} ${JSON.stringify(body).slice(0, 300)}`);
  assertToken(token, "graphql mint");
}

/** The same mint as `POST /mint` of bench/rest-baseline.ts (`rest-core`: run over the service's core). */
export function restMint(
  restBaseline: ServerProcess,
  url: string,
  bearers: string[],
  name: "rest-baseline" | "rest-core" = "rest-baseline",
): Scenario {
  return {
    name,
    what: SCENARIOS[name],
    server: restBaseline,
    operation: (user) => mintOverRest(url, bearers[user]),
    throughputOnly: name === "rest-core",
  };
}

export async function mintOverRest(url: string, bearer: string): Promise<void> {
  const { status, body } = await postJson(
    `${url}/mint`,
    { scopes: SCOPES },
    { authorization: `Bearer ${bearer}` },
  );
  if (status !== 200) throw new Error(`rest mint: HTTP ${status} ${JSON.stringify(body).slice(0, 300)}`);
  assertToken((body as { token?: unknown }).token, "rest mint");
}

/** getToken straight from the load generator into the emulator, for identities made at set-up. */
export function sdkFloor(
  emulator: ServerProcess,
  sdk: CommunicationIdentityClient,
  identities: CommunicationUserIdentifier[],
): Scenario {
  return {
    name: "sdk-floor",
    what: SCENARIOS["sdk-floor"],
    server: emulator,
    operation: async (user) => {
      const issued = await sdk.getToken(identities[user], [...SCOPES], { tokenExpiresInMinutes: 1440 });
      assertToken(issued.token, "sdk getToken");
    },
  };
}
