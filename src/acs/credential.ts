// The Entra ID credential ACS_ENDPOINT is called with, chosen by ACS_CREDENTIAL rather than guessed by
// DefaultAzureCredential's chain (which also tries developer tools, slowly, before failing), plus the
// TLS trust both the ACS client and the credential need when either talks to a private CA.
import { tlsPolicy, type PipelinePolicy } from "@azure/core-rest-pipeline";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import type { AzureCredentialSettings } from "../config";
import { AppError, ErrorCode } from "../errors";

export interface AdditionalPolicy {
  policy: PipelinePolicy;
  position: "perCall" | "perRetry";
}

/** The scope whose tokens ACS accepts (audience https://communication.azure.com). */
export const ACS_SCOPE = "https://communication.azure.com//.default";

/**
 * Pipeline policies that trust the PEM certificates in `caFile` on top of Node's public roots (a
 * custom `ca` alone would replace them, and the public Entra ID endpoint would stop verifying).
 * None without a file. Node's own NODE_EXTRA_CA_CERTS does the same for the whole process.
 */
export function trustPolicies(caFile: string | undefined): AdditionalPolicy[] {
  if (!caFile) return [];
  let pem: string;
  try {
    pem = readFileSync(caFile, "utf8");
  } catch (error) {
    throw new Error(`ACS_CA_FILE: cannot read ${caFile} (${(error as NodeJS.ErrnoException).code})`);
  }
  const certificates = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g);
  if (!certificates) throw new Error(`ACS_CA_FILE: ${caFile} holds no PEM certificate`);
  // One settings object, so the pipeline's HTTPS agent cache (keyed by it) keeps one agent.
  return [{ policy: tlsPolicy({ ca: [...rootCertificates, ...certificates] }), position: "perCall" }];
}

/**
 * @azure/identity (with MSAL: some 260 modules and 0.25 s) is loaded only when ACS_ENDPOINT is used,
 * not on every start with a connection string or the emulator.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const azureIdentity = (): typeof import("@azure/identity") => require("@azure/identity");

const isMicrosoftCloud = (authorityHost: string): boolean =>
  Object.values(azureIdentity().AzureAuthorityHosts).some(
    (host) => new URL(host).host.toLowerCase() === new URL(authorityHost).host.toLowerCase(),
  );

/** The credential the settings name; every one talks to `authorityHost` when given. */
export function createAzureCredential(settings: AzureCredentialSettings): TokenCredential {
  const {
    ClientSecretCredential,
    DefaultAzureCredential,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
  } = azureIdentity();
  const authorityHost = settings.authorityHost;
  const common = {
    authorityHost,
    additionalPolicies: trustPolicies(settings.caFile),
    // Instance discovery asks login.microsoftonline.com about the authority: only meaningful for
    // Microsoft's clouds, and impossible offline (a stand-in OpenID provider).
    disableInstanceDiscovery: authorityHost ? !isMicrosoftCloud(authorityHost) : false,
  };
  const need = (value: string | undefined, name: string): string => {
    if (!value) throw new Error(`${name} is required with ACS_CREDENTIAL=${settings.kind}`);
    return value;
  };
  switch (settings.kind) {
    case "client-secret":
      return new ClientSecretCredential(
        need(settings.tenantId, "AZURE_TENANT_ID"),
        need(settings.clientId, "AZURE_CLIENT_ID"),
        need(settings.clientSecret, "AZURE_CLIENT_SECRET"),
        common,
      );
    case "workload-identity":
      return new WorkloadIdentityCredential({
        ...common,
        tenantId: need(settings.tenantId, "AZURE_TENANT_ID"),
        clientId: need(settings.clientId, "AZURE_CLIENT_ID"),
        tokenFilePath: need(settings.federatedTokenFile, "AZURE_FEDERATED_TOKEN_FILE"),
      });
    case "managed-identity":
      // The host's identity endpoint (IMDS, App Service, ...), not the authority; a client id picks a
      // user-assigned identity.
      return settings.clientId
        ? new ManagedIdentityCredential({
            clientId: settings.clientId,
            additionalPolicies: common.additionalPolicies,
          })
        : new ManagedIdentityCredential({ additionalPolicies: common.additionalPolicies });
    case "default":
      // Reads the AZURE_* variables itself (environment, workload identity, managed identity, then
      // developer sign-ins): convenient on a laptop, slower and less predictable in production.
      return new DefaultAzureCredential({
        ...common,
        tenantId: settings.tenantId,
        managedIdentityClientId: settings.clientId,
        workloadIdentityClientId: settings.clientId,
      });
  }
}

/**
 * A credential whose failures (wrong secret, no managed identity here, authority unreachable) reach
 * callers as one stable error rather than INTERNAL; the cause, without secrets, goes to the log.
 */
export function explainFailures(credential: TokenCredential): TokenCredential {
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      try {
        return await credential.getToken(scopes, options);
      } catch (cause) {
        throw new AppError(
          ErrorCode.ACS_UNAVAILABLE,
          "The service could not get an Entra ID token for Azure Communication Services.",
          {},
          { cause },
        );
      }
    },
  };
}

/** What start-service passes to createAcsBackend for ACS_ENDPOINT: the credential and the CA trust. */
export function entraClient(settings: AzureCredentialSettings) {
  return {
    credential: explainFailures(createAzureCredential(settings)),
    additionalPolicies: trustPolicies(settings.caFile),
  };
}
