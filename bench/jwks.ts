// The token issuer's public keys at a JWKS URL, served by the load generator, which stands in for the
// identity provider: the router fetches them once (and caches them) as it would from a real issuer.
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";

export async function serveJwks(jwks: unknown): Promise<{ url: string; close(): Promise<void> }> {
  const body = JSON.stringify(jwks);
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" }).end(body);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
