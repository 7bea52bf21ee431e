// A real OpenID Provider (oidc-provider, in its own process: oidc-provider-server.mjs) for tests, with
// the flows a client runs against it: client credentials, and the authorization code flow with PKCE,
// driven through its login and consent forms with plain HTTP requests.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import { stopGracefully, waitForLine } from "./child-process";
import { recordSecret } from "./secret-sweep";
import { form, request, type PlainResponse } from "./tls-request";

export interface OidcClient {
  client_id: string;
  client_secret: string;
  grant_types: Array<"client_credentials" | "authorization_code">;
  redirect_uris?: string[];
}

export interface OidcProviderOptions {
  /** Serve HTTPS with this certificate (MSAL refuses an http authority). */
  tls?: { cert: string; key: string };
  /** The issuer's path, e.g. `/<tenant>/v2.0` where MSAL looks for an Entra ID authority's metadata. */
  basePath?: string;
  clients: OidcClient[];
  /** Resource indicator (the tokens' `aud`) to the scope its tokens may carry. */
  resources: Record<string, { scope: string; ttlSeconds?: number }>;
  /** The resource a client's tokens are for when it names none (MSAL sends only `scope`). */
  defaultResource?: Record<string, string>;
  /** The `roles` claim of a client's own tokens (client credentials) and of a user's. */
  clientRoles?: Record<string, string[]>;
  userRoles?: Record<string, string[]>;
}

export interface RunningOidcProvider {
  issuer: string;
  /** The authority host MSAL is given (the issuer's origin). */
  origin: string;
  /** Publishes a new signing key and signs with it from now on; answers the published kids, newest first. */
  addKey(): Promise<string[]>;
  /** Stops publishing the oldest key. */
  retireOldestKey(): Promise<string[]>;
  clientCredentials(client: OidcClient, resource?: string, scope?: string): Promise<string>;
  authorizationCode(client: OidcClient, user: string, resource: string, scope: string): Promise<string>;
  /** Requests answered so far, per `METHOD path`. */
  requests(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

const SCRIPT = path.join(__dirname, "oidc-provider-server.mjs");

export async function startOidcProvider(options: OidcProviderOptions): Promise<RunningOidcProvider> {
  for (const client of options.clients) recordSecret("OIDC client secret", client.client_secret);
  const config = {
    tls: options.tls,
    basePath: options.basePath ?? "",
    clients: options.clients.map((client) => ({
      redirect_uris: [],
      response_types: client.grant_types.includes("authorization_code") ? ["code"] : [],
      token_endpoint_auth_method: "client_secret_post",
      ...client,
    })),
    resources: options.resources,
    defaultResource: options.defaultResource ?? {},
    clientRoles: options.clientRoles ?? {},
    userRoles: options.userRoles ?? {},
  };
  const child: ChildProcess = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, OIDC_TEST_CONFIG: JSON.stringify(config), NODE_OPTIONS: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderr: string[] = [];
  child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  let issuer: string;
  try {
    issuer = (await waitForLine(child, /^https?:\/\/\S+$/))[0];
  } catch (error) {
    throw new Error(`oidc-provider did not start: ${String(error)}\n${stderr.join("")}`);
  }
  const origin = new URL(issuer).origin;
  const ca = options.tls?.cert;
  const ok = (response: PlainResponse, what: string) => {
    if (response.status >= 400)
      throw new Error(`${what}: HTTP ${response.status} ${response.body.slice(0, 300)}`);
    return response;
  };
  const keys = async (action: string) =>
    ok(
      await request(`${origin}/__keys`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ action }),
        ca,
      }),
      `keys ${action}`,
    ).json<{ kids: string[] }>().kids;
  const token = async (fields: Record<string, string>) => {
    const answer = ok(
      await request(`${issuer}/token`, { method: "POST", ...form(fields), ca }),
      "token request",
    ).json<{ access_token: string }>();
    recordSecret("OIDC access token", answer.access_token);
    return answer.access_token;
  };

  return {
    issuer,
    origin,
    addKey: () => keys("add"),
    retireOldestKey: () => keys("retire"),
    clientCredentials: (client, resource, scope) =>
      token({
        grant_type: "client_credentials",
        client_id: client.client_id,
        client_secret: client.client_secret,
        ...(resource ? { resource } : {}),
        ...(scope ? { scope } : {}),
      }),
    async authorizationCode(client, user, resource, scope) {
      const redirectUri = client.redirect_uris![0];
      const verifier = randomBytes(32).toString("base64url");
      const state = randomBytes(8).toString("hex");
      const jar = new Map<string, string>();
      // Follows the provider's redirects (keeping its cookies) until it redirects to the client.
      const browse = async (
        url: string,
        init: { method?: string; body?: string; headers?: Record<string, string> } = {},
      ) => {
        let response = await request(new URL(url, origin).href, {
          ...init,
          headers: { ...init.headers, cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") },
          ca,
        });
        for (const cookie of [response.headers["set-cookie"] ?? []].flat()) {
          const [pair] = cookie.split(";");
          const at = pair.indexOf("=");
          jar.set(pair.slice(0, at), pair.slice(at + 1));
        }
        ok(response, `${init.method ?? "GET"} ${new URL(url, origin).pathname}`);
        const location = response.headers.location;
        if (location && !location.startsWith(redirectUri)) response = await browse(location);
        return response;
      };
      const authorize = new URL(`${issuer}/auth`);
      authorize.search = new URLSearchParams({
        client_id: client.client_id,
        redirect_uri: redirectUri,
        response_type: "code",
        scope: `openid ${scope}`,
        resource,
        state,
        code_challenge: createHash("sha256").update(verifier).digest("base64url"),
        code_challenge_method: "S256",
      }).toString();
      // The login form, then the consent form: each is a page at /interaction/<uid>.
      const loginPage = await browse(authorize.href);
      const interaction = (page: PlainResponse) =>
        /action="([^"]*\/interaction\/[^"]+)"/.exec(page.body)?.[1];
      const login = interaction(loginPage);
      if (!login) throw new Error(`no login form: ${loginPage.body.slice(0, 300)}`);
      const consentPage = await browse(login, {
        method: "POST",
        ...form({ prompt: "login", login: user, password: "any" }),
      });
      const consent = interaction(consentPage);
      if (!consent) throw new Error(`no consent form: ${consentPage.body.slice(0, 300)}`);
      const done = await browse(consent, { method: "POST", ...form({ prompt: "consent" }) });
      const back = new URL(done.headers.location!);
      if (back.searchParams.get("state") !== state) throw new Error("the redirect lost the state");
      const code = back.searchParams.get("code");
      if (!code) throw new Error(`no code: ${back.search}`);
      return token({
        grant_type: "authorization_code",
        code,
        redirect_uri: redirectUri,
        code_verifier: verifier,
        client_id: client.client_id,
        client_secret: client.client_secret,
        resource,
      });
    },
    requests: async () => ok(await request(`${origin}/__requests`, { ca }), "requests").json(),
    async stop() {
      if (child.exitCode === null) await stopGracefully(child);
    },
  };
}
