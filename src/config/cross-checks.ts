// The rules between settings (one needs another, production refuses a default), which no single
// variable's parser can check. Apart from the schema so every such rule reads in one place.
import type { Env } from "./env-schema";

/**
 * The rules between settings, as [setting, why] pairs. `raw` holds the set values as strings; `parsed`
 * is there when every value parsed (the numeric rules need it).
 */
export function crossSettingProblems(
  raw: Record<string, string | undefined>,
  parsed: Env | undefined,
): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  const isProduction = raw.NODE_ENV === "production";
  const has = (name: string) => raw[name] !== undefined;
  if (has("ACS_CONNECTION_STRING") && has("ACS_ENDPOINT"))
    problems.push([
      "ACS_ENDPOINT",
      "set either ACS_CONNECTION_STRING or ACS_ENDPOINT (with Entra ID), not both",
    ]);
  if (isProduction && !has("ACS_CONNECTION_STRING") && !has("ACS_ENDPOINT"))
    problems.push([
      "ACS_ENDPOINT",
      "NODE_ENV=production needs a real ACS resource, never the embedded emulator: set ACS_ENDPOINT (with Entra ID, preferred) or ACS_CONNECTION_STRING",
    ]);
  const realIssuer = has("AUTH_ISSUER") || has("AUTH_JWKS_URL");
  if (isProduction && !has("AUTH_ISSUER"))
    // JWKS alone is refused in production too (keys are often shared: only `iss` says whose token it
    // is), so the message names the settings production needs, not one that will be refused next.
    problems.push([
      "AUTH_ISSUER",
      has("AUTH_JWKS_URL")
        ? "NODE_ENV=production with AUTH_JWKS_URL needs AUTH_ISSUER too, to pin the token issuer"
        : "NODE_ENV=production needs a real token issuer: set AUTH_ISSUER and AUTH_AUDIENCE (AUTH_JWKS_URL only if the issuer publishes no discovery document)",
    ]);
  if ((realIssuer || isProduction) && !has("AUTH_AUDIENCE"))
    problems.push([
      "AUTH_AUDIENCE",
      isProduction
        ? "NODE_ENV=production needs the audience your issuer puts in tokens for this API"
        : "is required with AUTH_ISSUER or AUTH_JWKS_URL",
    ]);
  if (
    isProduction &&
    raw.AUTH_ALLOW_DEV_TOKENS !== undefined &&
    ["true", "1"].includes(raw.AUTH_ALLOW_DEV_TOKENS)
  )
    problems.push(["AUTH_ALLOW_DEV_TOKENS", "development tokens are refused when NODE_ENV=production"]);
  if (parsed && parsed.HTTP_HEADERS_TIMEOUT_MS > parsed.HTTP_REQUEST_TIMEOUT_MS)
    problems.push([
      "HTTP_HEADERS_TIMEOUT_MS",
      "must not exceed HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)",
    ]);
  if (has("APOLLO_KEY") && !has("APOLLO_GRAPH_REF"))
    problems.push(["APOLLO_GRAPH_REF", "is required with APOLLO_KEY"]);
  if (has("ACS_ENDPOINT") && !raw.ACS_ENDPOINT!.startsWith("https:"))
    problems.push(["ACS_ENDPOINT", "must be https://: the SDK sends Entra ID tokens only over TLS"]);
  const needs: Record<string, string[]> = {
    "client-secret": ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"],
    "workload-identity": ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE"],
  };
  for (const name of (has("ACS_ENDPOINT") && needs[raw.ACS_CREDENTIAL ?? ""]) || [])
    if (!has(name)) problems.push([name, `is required with ACS_CREDENTIAL=${raw.ACS_CREDENTIAL}`]);
  const reuseKeys = (raw.TOKEN_REUSE_KEYS ?? "")
    .split(",")
    .map((key) => key.trim())
    .filter(Boolean);
  if (["true", "1"].includes(raw.TOKEN_REUSE ?? "") && reuseKeys.length === 0)
    problems.push([
      "TOKEN_REUSE_KEYS",
      "TOKEN_REUSE=true needs at least one key: kept tokens are encrypted at rest",
    ]);
  if (reuseKeys.some((key) => Buffer.from(key, "base64").length !== 32))
    problems.push([
      "TOKEN_REUSE_KEYS",
      "each key must be 32 random bytes, base64 encoded (openssl rand -base64 32)",
    ]);
  return problems;
}
