// A real token issuer's key endpoint for tests: an HTTP server on 127.0.0.1 that serves a JWKS (and,
// as an OIDC issuer, its discovery document), counts what it is asked, rotates keys, and misbehaves on
// demand (down, HTTP 500, slow to answer, or stalling halfway through the body).
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTPayload } from "jose";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { webcrypto } from "node:crypto";

/** An asymmetric signing key as an issuer holds it. */
export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: webcrypto.CryptoKey;
  publicKey: webcrypto.CryptoKey;
  /** The public key as published in the JWKS (with kid, alg, use). */
  publicJwk: JWK;
  /** The public key as SPKI PEM (what an attacker would paste as an HMAC secret). */
  publicPem: string;
}

export async function newSigningKey(kid: string, alg = "RS256"): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return {
    kid,
    alg,
    privateKey,
    publicKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" },
    publicPem: await exportSPKI(publicKey),
  };
}

/** Signs `claims` with `key` (header: alg and kid of the key, plus `header`). */
export function signWith(key: SigningKey, claims: JWTPayload, header: Record<string, unknown> = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
    .sign(key.privateKey);
}

/**
 * up: answer at once. error: HTTP 500. slow: answer after `delayMs`. stall: send the headers and half
 * the body, then nothing (until closed). redirect: 302 to `redirectTo`. huge: a valid JWKS padded to
 * 1 MiB. not-jwks: 200 with JSON that is not a key set.
 */
export type JwksMode = "up" | "error" | "slow" | "stall" | "redirect" | "huge" | "not-jwks";

export interface JwksServer {
  /** http://127.0.0.1:<port>: also the issuer identifier its discovery document names. */
  readonly url: string;
  readonly jwksUrl: string;
  /** JWKS GETs received (whatever the mode). */
  readonly jwksFetches: number;
  readonly discoveryFetches: number;
  /** Every HTTP request received, on any path. */
  readonly requests: number;
  mode: JwksMode;
  delayMs: number;
  redirectTo: string;
  /** The keys published now. */
  keys: SigningKey[];
  /** Stops listening and drops open connections: the endpoint is down (connection refused). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
}

export async function startJwksServer(keys: SigningKey[] = []): Promise<JwksServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const counters = { jwks: 0, discovery: 0, requests: 0 };
  let port = 0;

  const server = http.createServer((req, res) => {
    counters.requests += 1;
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    let body: string;
    if (path === "/jwks") {
      counters.jwks += 1;
      body = JSON.stringify({ keys: state.keys.map((key) => key.publicJwk) });
    } else if (path === "/.well-known/openid-configuration") {
      counters.discovery += 1;
      body = JSON.stringify({ issuer: state.url, jwks_uri: state.jwksUrl });
    } else {
      res.writeHead(404).end();
      return;
    }
    const answer = () => {
      if (state.mode === "redirect") {
        res.writeHead(302, { location: state.redirectTo }).end();
      } else if (state.mode === "huge") {
        const padded = JSON.stringify({ keys: JSON.parse(body).keys ?? [], padding: "x".repeat(1 << 20) });
        res.writeHead(200, { "content-type": "application/json" }).end(padded);
      } else if (state.mode === "not-jwks") {
        res.writeHead(200, { "content-type": "application/json" }).end('{"keys":"none here"}');
      } else if (state.mode === "error") {
        res.writeHead(500, { "content-type": "application/json" }).end('{"error":"internal"}');
      } else if (state.mode === "stall") {
        res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
        res.write(body.slice(0, body.length / 2));
      } else {
        res.writeHead(200, { "content-type": "application/json" }).end(body);
      }
    };
    if (state.mode !== "slow") return answer();
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) answer();
    }, state.delayMs);
    timers.add(timer);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  await listen();

  const state: JwksServer = {
    url: `http://127.0.0.1:${port}`,
    jwksUrl: `http://127.0.0.1:${port}/jwks`,
    get jwksFetches() {
      return counters.jwks;
    },
    get discoveryFetches() {
      return counters.discovery;
    },
    get requests() {
      return counters.requests;
    },
    mode: "up",
    delayMs: 0,
    redirectTo: "",
    keys,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        // Hanging (slow, stalled) and keep-alive connections would otherwise hold close() open.
        for (const socket of sockets) socket.destroy();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
    restart: listen,
  };
  return state;
}
