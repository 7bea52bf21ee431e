// The `/graphql` route's own line for Apollo Server's failures: Apollo logs why it answered 5xx, but its
// line cannot name the request. A real Apollo Server over HTTP, with a plugin that fails on purpose.
import { ApolloServer } from "@apollo/server";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import type { GraphQLContext } from "../../src/schema/context";
import { apolloHandler, graphqlRoute } from "../../src/server/graphql-route";
import { createLogger } from "../../src/server/logger";
import { sendJson, type Res } from "../../src/server/middleware";
import { requestId } from "../../src/server/request-id";

test("an answer Apollo Server fails to make is logged with the request's id", async () => {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger(
    "info",
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    }),
  );
  const apollo = new ApolloServer<GraphQLContext>({
    typeDefs: "type Query { ok: Boolean }",
    resolvers: { Query: { ok: () => true } },
    logger,
    plugins: [
      {
        async requestDidStart({ request }) {
          if (request.query?.includes("fail")) throw new Error("a plugin failed");
        },
      },
    ],
  });
  await apollo.start();
  const route = graphqlRoute(
    [
      requestId,
      (req, _res, next) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
          req.body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          next();
        });
      },
      apolloHandler(apollo, async () => ({}) as GraphQLContext, logger),
    ],
    (_error, _req, res) => sendJson(res, 500, {}),
  );
  const server = http.createServer((req, res) => route(req, res as Res)).listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const post = (query: string) =>
    fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query }),
    });
  try {
    const ok = await post("{ ok }");
    expect(ok.status).toBe(200);
    expect(lines).toEqual([]);
    const failed = await post("{ fail: ok }");
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: "graphql request failed",
        status: failed.status,
        requestId: failed.headers.get("x-request-id"),
      }),
    );
  } finally {
    server.close();
    await apollo.stop();
  }
});
