// Inline federation traces (ftv1) carry per-field timings. Any client may ask for one with
// `apollo-federation-include-trace: ftv1`, and timings can tell apart what answers hide (an identity
// that exists but is not yours from one that does not). So they are sent only to the router, which
// proves itself with a shared secret; with no secret configured, nobody gets them.
import type { ApolloServerPlugin, BaseContext } from "@apollo/server";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginInlineTrace } from "@apollo/server/plugin/inlineTrace";
import { createHash, timingSafeEqual } from "node:crypto";

export const TRACE_SECRET_HEADER = "x-federation-trace-secret";

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * Replaces Apollo's implicit inline-trace plugin (turned off by the first plugin) with one that traces
 * only requests carrying the router's secret. Errors in traces are masked: the router needs timings.
 */
export function trustedRouterTracePlugins<Context extends BaseContext>(
  secret: string | undefined,
): ApolloServerPlugin<Context>[] {
  const inner = ApolloServerPluginInlineTrace({
    includeErrors: { masked: true },
  }) as ApolloServerPlugin<Context>;
  const expected = secret === undefined ? undefined : digest(secret);
  const trusted = (sent: string | undefined) =>
    expected !== undefined && sent !== undefined && timingSafeEqual(digest(sent), expected);
  const gated: ApolloServerPlugin<Context> = {
    serverWillStart: inner.serverWillStart,
    async requestDidStart(requestContext) {
      if (!trusted(requestContext.request.http?.headers.get(TRACE_SECRET_HEADER))) return;
      return inner.requestDidStart?.(requestContext);
    },
  };
  return [ApolloServerPluginInlineTraceDisabled() as ApolloServerPlugin<Context>, gated];
}
