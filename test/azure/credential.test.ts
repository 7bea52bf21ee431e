// The Entra ID settings for ACS_ENDPOINT: which credential each ACS_CREDENTIAL builds, what each one
// requires (refused at start-up, naming the setting, never echoing a secret), and ACS_CA_FILE.
import {
  ClientSecretCredential,
  DefaultAzureCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createAzureCredential, trustPolicies } from "../../src/acs/credential";
import { ConfigError, loadConfig } from "../../src/config";
import { generateCertificate } from "../../src/emulator";

const ENDPOINT = "https://contoso.communication.azure.com/";
const errorOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a configuration error");
};

test("ACS_ENDPOINT alone: the default credential chain, with the public authority", () => {
  const config = loadConfig({ ACS_ENDPOINT: ENDPOINT });
  expect(config.acs).toMatchObject({ kind: "entra", endpoint: ENDPOINT, credential: { kind: "default" } });
  expect(createAzureCredential({ kind: "default" })).toBeInstanceOf(DefaultAzureCredential);
});

test.each([
  [{ ACS_ENDPOINT: "http://127.0.0.1:8089/" }, "ACS_ENDPOINT: must be https://"],
  [{ ACS_ENDPOINT: ENDPOINT, ACS_CREDENTIAL: "certificate" }, "ACS_CREDENTIAL"],
  [{ ACS_ENDPOINT: ENDPOINT, ACS_CREDENTIAL: "client-secret" }, "AZURE_TENANT_ID: is required"],
  [
    { ACS_ENDPOINT: ENDPOINT, ACS_CREDENTIAL: "client-secret", AZURE_TENANT_ID: "t", AZURE_CLIENT_ID: "c" },
    "AZURE_CLIENT_SECRET: is required with ACS_CREDENTIAL=client-secret",
  ],
  [
    {
      ACS_ENDPOINT: ENDPOINT,
      ACS_CREDENTIAL: "workload-identity",
      AZURE_TENANT_ID: "t",
      AZURE_CLIENT_ID: "c",
    },
    "AZURE_FEDERATED_TOKEN_FILE: is required with ACS_CREDENTIAL=workload-identity",
  ],
  [{ ACS_ENDPOINT: ENDPOINT, AZURE_AUTHORITY_HOST: "http://login.example" }, "AZURE_AUTHORITY_HOST"],
])("refused at start-up, naming the setting: %j", (env, message) => {
  expect(errorOf(env)).toContain(message);
});

test("a client secret never appears in a configuration error", () => {
  const message = errorOf({
    ACS_ENDPOINT: "http://127.0.0.1/",
    ACS_CREDENTIAL: "client-secret",
    AZURE_CLIENT_SECRET: "SUPER-SECRET-VALUE",
  });
  expect(message).not.toContain("SUPER-SECRET-VALUE");
});

test.each([
  ["client-secret", { tenantId: "tenant", clientId: "app", clientSecret: "s" }, ClientSecretCredential],
  [
    "workload-identity",
    { tenantId: "tenant", clientId: "app", federatedTokenFile: "/var/run/token" },
    WorkloadIdentityCredential,
  ],
  ["managed-identity", {}, ManagedIdentityCredential],
  ["managed-identity", { clientId: "user-assigned" }, ManagedIdentityCredential],
] as const)("ACS_CREDENTIAL=%s builds that credential (%j)", (kind, settings, type) => {
  const config = loadConfig({
    ACS_ENDPOINT: ENDPOINT,
    ACS_CREDENTIAL: kind,
    ...("tenantId" in settings ? { AZURE_TENANT_ID: settings.tenantId } : {}),
    ...("clientId" in settings ? { AZURE_CLIENT_ID: settings.clientId } : {}),
    ...("clientSecret" in settings ? { AZURE_CLIENT_SECRET: settings.clientSecret } : {}),
    ...("federatedTokenFile" in settings ? { AZURE_FEDERATED_TOKEN_FILE: settings.federatedTokenFile } : {}),
  });
  if (config.acs.kind !== "entra") throw new Error("expected entra settings");
  expect(config.acs.credential).toMatchObject({ kind, ...settings });
  expect(createAzureCredential(config.acs.credential)).toBeInstanceOf(type);
});

describe("ACS_CA_FILE", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ca-file-"));

  test("adds its certificates to the public roots (never replaces them)", async () => {
    const [one, two] = await Promise.all([generateCertificate(), generateCertificate()]);
    const file = path.join(dir, "two.pem");
    writeFileSync(file, one.cert + two.cert);
    const [policy] = trustPolicies(file);
    const request = { tlsSettings: undefined as { ca?: string[] } | undefined };
    await policy.policy.sendRequest(request as never, async () => ({}) as never);
    const ca = request.tlsSettings!.ca!;
    expect(ca.slice(-2)).toEqual([one.cert.trim(), two.cert.trim()]);
    expect(ca.length).toBeGreaterThan(100); // Node's bundled public roots come first
  });

  test("none without a file; a missing or non-PEM file stops start-up with its name", () => {
    expect(trustPolicies(undefined)).toEqual([]);
    expect(() => trustPolicies(path.join(dir, "missing.pem"))).toThrow(
      /ACS_CA_FILE: cannot read .*missing\.pem \(ENOENT\)/,
    );
    writeFileSync(path.join(dir, "junk.pem"), "not a certificate");
    expect(() => trustPolicies(path.join(dir, "junk.pem"))).toThrow(
      /ACS_CA_FILE: .*junk\.pem holds no PEM certificate/,
    );
  });
});
