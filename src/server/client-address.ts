// The client's address, through the proxies TRUST_PROXY names: the rules of Express's `trust proxy`
// setting (true: every hop; a number: that many hops; a list of addresses or subnets), applied with the
// library Express uses for them, for the routes served without Express.
import type { IncomingMessage } from "node:http";
import proxyaddr from "proxy-addr";

export function clientAddress(trustProxy: boolean | number | string[]): (req: IncomingMessage) => string {
  const trust: (address: string, hop: number) => boolean =
    trustProxy === true
      ? () => true
      : typeof trustProxy === "number"
        ? (_address, hop) => hop < trustProxy
        : proxyaddr.compile(trustProxy === false ? [] : trustProxy);
  return (req) => proxyaddr(req, trust);
}
