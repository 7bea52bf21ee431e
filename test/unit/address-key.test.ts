// Unit layer: the key one client's address is counted under (src/ratelimit/address.ts).
import { addressKey } from "../../src/ratelimit/address";

test.each([
  ["no address", null, "unknown"],
  ["an empty address", "", "unknown"],
  ["IPv4", "203.0.113.9", "203.0.113.9"],
  ["IPv4-mapped IPv6 counts as its IPv4", "::ffff:203.0.113.9", "203.0.113.9"],
  ["IPv4-mapped IPv6, upper case", "::FFFF:203.0.113.9", "203.0.113.9"],
  ["a full IPv6 address counts as its /64", "2001:0db8:0001:0002:0003:0004:0005:0006", "2001:db8:1:2::/64"],
  ["compressed IPv6", "2001:db8:1:2::7", "2001:db8:1:2::/64"],
  ["compression inside the /64", "2001:db8::1", "2001:db8:0:0::/64"],
  ["compression at the start", "::1", "0:0:0:0::/64"],
  ["the unspecified address", "::", "0:0:0:0::/64"],
  ["leading zeros and case do not make a new key", "2001:DB8:0:00A::1", "2001:db8:0:a::/64"],
  ["a zone id names an interface, not a host", "fe80::1%eth0", "fe80:0:0:0::/64"],
  ["an embedded IPv4 tail fills two groups", "64:ff9b::198.51.100.1", "64:ff9b:0:0::/64"],
  ["an embedded IPv4 tail in a full address", "2001:db8:1:2:3:4:198.51.100.1", "2001:db8:1:2::/64"],
  ["not an address: kept as it is", "a-unix-socket", "a-unix-socket"],
  ["not an IPv4 address: kept as it is", "999.1.1.1", "999.1.1.1"],
])("%s", (_name, address, key) => {
  expect(addressKey(address)).toBe(key);
});

test("two hosts of one /64 share a key; the next /64 does not", () => {
  expect(addressKey("2001:db8:aa:bb::1")).toBe(addressKey("2001:db8:aa:bb:ffff:ffff:ffff:ffff"));
  expect(addressKey("2001:db8:aa:bb::1")).not.toBe(addressKey("2001:db8:aa:bc::1"));
});
