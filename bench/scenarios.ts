// What is measured side by side: the service's mint over GraphQL, the same mint as a hand-written REST
// endpoint (the baseline), and the SDK calling the emulator directly (the floor, no service at all).
// Every operation checks that its response carries a token.
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
  "rest-baseline": "the same mint as one hand-written REST endpoint (bench/rest-baseline.ts), no GraphQL",
  "sdk-floor": "the SDK's getToken straight into the emulator (no service)",
};

export interface Scenario {
  name: keyof typeof SCENARIOS;
  what: string;
  /** The process whose CPU time per operation and peak memory are this scenario's own. */
  server: ServerProcess;
  operation: Operation;
}

/** `issueMyAccessToken` over GraphQL; `bearers[user]` is virtual user `user`'s bearer token. */
export function graphqlMint(
  service: ServerProcess,
  url: string,
  bearers: string[],
  name: "graphql-mint" | "graphql-mint-reuse" = "graphql-mint",
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
  const data = (body as { data?: { issueMyAccessToken?: { token?: unknown } } }).data;
  if (status !== 200) throw new Error(`graphql mint: HTTP ${status} ${JSON.stringify(body).slice(0, 300)}`);
  assertToken(data?.issueMyAccessToken?.token, "graphql mint");
}

/** The same mint as `POST /mint` of bench/rest-baseline.ts. */
export function restMint(restBaseline: ServerProcess, url: string, bearers: string[]): Scenario {
  return {
    name: "rest-baseline",
    what: SCENARIOS["rest-baseline"],
    server: restBaseline,
    operation: (user) => mintOverRest(url, bearers[user]),
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

// A router scenario (Hive Gateway composing this subgraph) belongs here: a function like graphqlMint
// whose `server` is the gateway's process and whose operation sends the same mutation to the gateway's
// URL, named in SCENARIOS. Start the gateway in run.ts next to the service and add the scenario to the
// round's list; the report then shows it with min/median/max like the others (its targets: report.ts).
