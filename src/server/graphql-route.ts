// `/graphql`, served on Node's own request and response rather than through Express (see
// middleware.ts): the same steps in the same order as before, each a plain function.
import { HeaderMap, type ApolloServer } from "@apollo/server";
import type { GraphQLContext } from "../schema/context";
import type { Logger } from "./logger";
import { chain, searchOf, type ErrorMiddleware, type Middleware, type Req, type Res } from "./middleware";

/** Every request that reaches this route is `/graphql` or below it, as Express's `app.use` matched. */
export const GRAPHQL_PATH = /^\/graphql(?:\/|\?|$)/i;

/**
 * Hands the request to Apollo Server (the body already parsed) and writes its answer: what Apollo's
 * Express integration does, without Express. A 5xx answer is Apollo's own failure (an operation's
 * errors answer 200): Apollo's line about it cannot name the request, so this one does.
 */
export function apolloHandler(
  apollo: ApolloServer<GraphQLContext>,
  context: (req: Req, res: Res) => Promise<GraphQLContext>,
  logger: Logger,
): Middleware {
  return async (req, res) => {
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const answer = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: (req.method ?? "").toUpperCase(),
        headers,
        search: searchOf(req),
        body: req.body,
      },
      context: () => context(req, res),
    });
    for (const [name, value] of answer.headers) res.setHeader(name, value);
    res.statusCode = answer.status ?? 200;
    if (res.statusCode >= 500)
      logger.error({ requestId: res.locals.requestId, status: res.statusCode }, "graphql request failed");
    if (answer.body.kind === "complete") {
      res.setHeader("content-length", Buffer.byteLength(answer.body.string));
      res.end(answer.body.string);
      return;
    }
    for await (const chunk of answer.body.asyncIterator) res.write(chunk);
    res.end();
  };
}

/**
 * The route's handler: `steps` in order (the last answers), errors to `onError`. Sets the per-request
 * values object Express would have made, which the steps share.
 */
export function graphqlRoute(steps: Middleware[], onError: ErrorMiddleware) {
  const run = chain(steps, onError);
  return (req: Req, res: Res) => {
    res.locals = Object.create(null) as Record<string, unknown>;
    run(req, res);
  };
}
