// Unit layer: the client address of a `/graphql` request under each form of TRUST_PROXY, against what
// Express's `req.ip` gives for the same setting (the rules the service kept when it left Express).
// The end-to-end cases (a spoofed X-Forwarded-For, a trusted proxy) are test/security/rate-limits.test.ts.
import express from "express";
import type { IncomingMessage } from "node:http";
import { clientAddress } from "../../src/server/client-address";

// A request from 10.0.0.9 that passed through 10.0.0.2 and 192.168.1.1, sent by 203.0.113.7.
const request = {
  headers: { "x-forwarded-for": "203.0.113.7, 192.168.1.1, 10.0.0.2" },
  socket: { remoteAddress: "10.0.0.9" },
  connection: { remoteAddress: "10.0.0.9" },
} as unknown as IncomingMessage;

/** What Express says `req.ip` is for `trustProxy`. */
function expressIp(trustProxy: boolean | number | string[]): string | undefined {
  const app = express();
  app.set("trust proxy", trustProxy);
  const req = Object.create(app.request, {
    headers: { value: request.headers },
    socket: { value: request.socket },
    connection: { value: request.socket },
    app: { value: app },
  }) as express.Request;
  return req.ip;
}

test.each<[boolean | number | string[], string]>([
  [false, "10.0.0.9"],
  [true, "203.0.113.7"],
  [1, "10.0.0.2"],
  [2, "192.168.1.1"],
  [["10.0.0.0/8"], "192.168.1.1"],
  [["loopback"], "10.0.0.9"],
  [["10.0.0.0/8", "192.168.0.0/16"], "203.0.113.7"],
])("TRUST_PROXY %j: the client is %s, as Express says", (trustProxy, expected) => {
  expect(clientAddress(trustProxy)(request)).toBe(expected);
  expect(expressIp(trustProxy)).toBe(expected);
});
