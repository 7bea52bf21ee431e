import {
  CommunicationIdentityClient,
  type CommunicationIdentityClientOptions,
} from "@azure/communication-identity";
import type { TokenCredential } from "@azure/core-auth";
import type { AcsScope } from "../identity/model";
import type { AppError } from "../errors";
import type { AcsIdentityBackend, IssuedToken, TeamsTokenRequest } from "../identity/ports";
import type { AdditionalPolicy } from "./credential";
import { createIdentityCreator } from "./custom-id";
import { mapAcsError, mapTeamsExchangeError } from "./error-mapping";
import { surfaceThrottlingPolicy } from "./throttling-policy";

export type AcsBackendOptions = (
  { connectionString: string } | { endpoint: string; credential: TokenCredential }
) & {
  /** Upper bound for one ACS operation, retries included. */
  timeoutMs: number;
  /** Retries for network errors and 5xx of requests safe to repeat; 429 never (see throttling-policy). */
  maxRetries: number;
  /** More pipeline policies, e.g. trustPolicies(ACS_CA_FILE) for an endpoint behind a private CA. */
  additionalPolicies?: AdditionalPolicy[];
};

// An id of no resource: ACS answers 401 IdentityNotOwned for it, which proves the endpoint is
// reachable and accepts our credential without creating or changing anything.
const PROBE_IDENTITY = "8:acs:00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000-000000000000";

/** What AbortSignal.timeout aborts with, so the error mapping reads it the same way. */
const timedOut = () => new DOMException("The operation was aborted due to timeout", "TimeoutError");

export function createAcsBackend(options: AcsBackendOptions): AcsIdentityBackend {
  const endpoint =
    "connectionString" in options
      ? /endpoint=([^;]+)/i.exec(options.connectionString)?.[1]
      : options.endpoint;
  const clientOptions: CommunicationIdentityClientOptions = {
    // The SDK refuses http:// unless told; only the local emulator is served over http.
    allowInsecureConnection: endpoint?.startsWith("http://") ?? false,
    retryOptions: { maxRetries: options.maxRetries, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
    additionalPolicies: [
      { policy: surfaceThrottlingPolicy, position: "perRetry" },
      ...(options.additionalPolicies ?? []),
    ],
  };
  const client =
    "connectionString" in options
      ? new CommunicationIdentityClient(options.connectionString, clientOptions)
      : new CommunicationIdentityClient(options.endpoint, options.credential, clientOptions);

  // The deadline's timer is cleared when the call settles. (AbortSignal.timeout's is not: it fires
  // later for every call whose signal is still reachable, making an error and an abort event each.)
  const call = async <T>(operation: string, run: (abortSignal: AbortSignal) => Promise<T>): Promise<T> => {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(timedOut()), options.timeoutMs);
    try {
      return await run(deadline.signal);
    } catch (error) {
      throw mapAcsError(operation, error, options.timeoutMs);
    } finally {
      clearTimeout(timer);
    }
  };
  const user = (id: string) => ({ communicationUserId: id });
  // Creates go through our own request: it can send a customId, and retries only when that is sent.
  const createRequest = createIdentityCreator({
    target:
      "connectionString" in options
        ? { connectionString: options.connectionString }
        : { endpoint: options.endpoint, credential: options.credential },
    maxRetries: options.maxRetries,
    additionalPolicies: options.additionalPolicies,
  });

  return {
    async createIdentity(customId?: string) {
      return call("createIdentity", (abortSignal) => createRequest(customId, abortSignal));
    },
    async issueToken(id: string, scopes: AcsScope[], expiresInMinutes: number): Promise<IssuedToken> {
      const issued = await call("issueToken", (abortSignal) =>
        client.getToken(user(id), scopes, { abortSignal, tokenExpiresInMinutes: expiresInMinutes }),
      );
      return { token: issued.token, expiresOn: issued.expiresOn };
    },
    async revokeTokens(id: string) {
      await call("revokeTokens", (abortSignal) => client.revokeTokens(user(id), { abortSignal }));
    },
    async deleteIdentity(id: string) {
      try {
        await call("deleteIdentity", (abortSignal) => client.deleteUser(user(id), { abortSignal }));
      } catch (error) {
        // Already gone in ACS: the delete this call wanted has happened, so a retried delete completes.
        if ((error as { code?: string }).code === "NOT_FOUND") return;
        throw error;
      }
    },
    async exchangeTeamsToken({ teamsToken, clientId, userObjectId }: TeamsTokenRequest) {
      try {
        const issued = await call("exchangeTeamsToken", (abortSignal) =>
          client.getTokenForTeamsUser({ teamsUserAadToken: teamsToken, clientId, userObjectId, abortSignal }),
        );
        return { token: issued.token, expiresOn: issued.expiresOn };
      } catch (error) {
        throw mapTeamsExchangeError(error as AppError);
      }
    },
    async ping() {
      try {
        await call("ping", (abortSignal) => client.revokeTokens(user(PROBE_IDENTITY), { abortSignal }));
      } catch (error) {
        if ((error as { acsCode?: string }).acsCode === "IdentityNotOwned") return;
        throw error;
      }
    },
  };
}
