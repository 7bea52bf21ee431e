import { isIPv4, isIPv6 } from "node:net";

/**
 * The key that one client's address is counted under. An IPv4-mapped IPv6 address counts as its IPv4
 * address (the same client may arrive either way on a dual-stack socket), and an IPv6 address counts as
 * its /64: one host is routinely given a whole /64, so counting single addresses would let one client
 * take a fresh budget per address it picks.
 */
export function addressKey(address: string | null): string {
  if (!address) return "unknown";
  // Every request asks this of its address, and node's IPv6 test is a long regular expression: the
  // answer is kept per address (bounded: addresses come from the network).
  let key = known.get(address);
  if (key === undefined) {
    key = keyOf(address);
    if (known.size >= 1_000) known.clear();
    known.set(address, key);
  }
  return key;
}
const known = new Map<string, string>();

function keyOf(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  const bare = address.replace(/%.*$/, ""); // a zone id (fe80::1%eth0) names an interface, not a host
  if (!isIPv6(bare)) return address;
  const [head, tail] = bare.includes("::") ? bare.split("::") : [bare, undefined];
  const groups = (part: string | undefined) =>
    part
      ? part.split(":").flatMap((group) =>
          // an embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) fills two groups
          isIPv4(group) ? ["0", "0"] : [group],
        )
      : [];
  const before = groups(head);
  const after = groups(tail);
  const full = [...before, ...Array<string>(8 - before.length - after.length).fill("0"), ...after];
  return `${full
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(":")}::/64`;
}
