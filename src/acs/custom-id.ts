// POST /identities, sent by us rather than by the SDK: SDK 1.3.1 cannot send a customId (preview API
// 2025-03-02-preview), and it retries a create after a lost answer, which makes one identity per try.
// The request goes through the same Azure pipeline the SDK uses (core-rest-pipeline), signed by the
// same credential (HMAC access key or Entra ID, via @azure/communication-common's auth policy).
// - With a customId, ACS answers a repeat with the identity it made the first time: the create is
//   repeat-safe, so it is retried like any other call.
// - Without one, it is never retried: an answer lost after ACS did the work would make a second one.
import { createCommunicationAuthPolicy, parseClientArguments } from "@azure/communication-common";
import type { KeyCredential, TokenCredential } from "@azure/core-auth";
import {
  createDefaultHttpClient,
  createPipelineFromOptions,
  createPipelineRequest,
  RestError,
  type HttpClient,
  type Pipeline,
} from "@azure/core-rest-pipeline";
import type { AdditionalPolicy } from "./credential";
import { surfaceThrottlingPolicy } from "./throttling-policy";

/** The first API version with customId (ACS answers a repeated customId with the same identity). */
export const CUSTOM_ID_API_VERSION = "2025-03-02-preview";
/** What SDK 1.3.1 sends; used for creates without a customId. */
const STABLE_API_VERSION = "2023-10-01";

export interface IdentityCreatorOptions {
  /** A connection string, or an endpoint with an Entra ID credential. */
  target: { connectionString: string } | { endpoint: string; credential: TokenCredential };
  /** Retries of a repeat-safe (customId) create, for network errors and 5xx. */
  maxRetries: number;
  /** The client's own extra policies too (e.g. trusting ACS_CA_FILE), so creates reach the same ACS. */
  additionalPolicies?: AdditionalPolicy[];
}

export type CreateIdentityRequest = (
  customId: string | undefined,
  abortSignal: AbortSignal,
) => Promise<{ id: string }>;

export function createIdentityCreator(options: IdentityCreatorOptions): CreateIdentityRequest {
  const { url, credential } =
    "connectionString" in options.target
      ? parseClientArguments(options.target.connectionString)
      : { url: options.target.endpoint, credential: options.target.credential };
  const pipelineWith = (maxRetries: number): Pipeline => {
    const pipeline = createPipelineFromOptions({
      retryOptions: { maxRetries, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
      userAgentOptions: { userAgentPrefix: "acs-identity-graph" },
    });
    for (const { policy, position } of options.additionalPolicies ?? [])
      pipeline.addPolicy(policy, position === "perRetry" ? { afterPhase: "Retry" } : {});
    pipeline.addPolicy(createCommunicationAuthPolicy(credential as KeyCredential | TokenCredential));
    pipeline.addPolicy(surfaceThrottlingPolicy, { afterPhase: "Retry" });
    return pipeline;
  };
  const repeatSafe = pipelineWith(options.maxRetries);
  const once = pipelineWith(0);
  const httpClient: HttpClient = createDefaultHttpClient();
  const endpoint = url.endsWith("/") ? url : `${url}/`;

  return async (customId, abortSignal) => {
    const apiVersion = customId === undefined ? STABLE_API_VERSION : CUSTOM_ID_API_VERSION;
    const request = createPipelineRequest({
      url: `${endpoint}identities?api-version=${apiVersion}`,
      method: "POST",
      body: customId === undefined ? "" : JSON.stringify({ customId }),
      abortSignal,
      // Only the local emulator is served over http.
      allowInsecureConnection: endpoint.startsWith("http://"),
    });
    request.headers.set("content-type", "application/json");
    request.headers.set("accept", "application/json");
    const response = await (customId === undefined ? once : repeatSafe).sendRequest(httpClient, request);
    let body: { identity?: { id?: unknown }; error?: { code?: string } } = {};
    try {
      body = response.bodyAsText ? JSON.parse(response.bodyAsText) : {};
    } catch {
      // not JSON: handled below
    }
    // 201 for a new identity; a repeated customId is answered 201 (observed) or 200 (spec).
    if ((response.status === 200 || response.status === 201) && typeof body.identity?.id === "string") {
      return { id: body.identity.id };
    }
    // The shape of the SDK's own errors, so error-mapping.ts maps both alike.
    throw new RestError(`ACS createIdentity answered ${response.status}`, {
      statusCode: response.status,
      code: body.error?.code,
      request,
      response,
    });
  };
}
