import { isIPv4, isIPv6 } from "node:net";

// IP addresses as bytes, and the ranges an outbound request may not reach unless the operator
// allows them. Works on bytes rather than strings so every spelling of an address (IPv4-mapped,
// NAT64, 6to4, zero-compressed) lands on the same answer.

export interface Ip {
  family: 4 | 6;
  bytes: Uint8Array;
}

export interface Cidr {
  ip: Ip;
  prefix: number;
}

/** Parses a canonical IPv4 or IPv6 literal (no brackets, no zone); undefined when it is not one. */
export function parseIp(text: string): Ip | undefined {
  if (isIPv4(text)) return { family: 4, bytes: Uint8Array.from(text.split(".").map(Number)) };
  const bare = text.replace(/%.*$/, "");
  if (!isIPv6(bare)) return undefined;
  let head = bare;
  let tail: number[] = [];
  // A dotted IPv4 tail (::ffff:127.0.0.1) is the last 32 bits.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (dotted) {
    head = `${dotted[1]}0:0`;
    tail = dotted[2]!.split(".").map(Number);
  }
  const [left, right] = head.includes("::") ? head.split("::") : [head, undefined];
  const groups = (s: string | undefined) => (s ? s.split(":").filter((g) => g !== "") : []);
  const l = groups(left);
  const r = groups(right);
  const words = right === undefined ? l : [...l, ...Array<string>(8 - l.length - r.length).fill("0"), ...r];
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    const v = parseInt(w, 16);
    bytes[i * 2] = v >> 8;
    bytes[i * 2 + 1] = v & 0xff;
  });
  if (tail.length) bytes.set(tail, 12);
  return { family: 6, bytes };
}

export function formatIp(ip: Ip): string {
  if (ip.family === 4) return Array.from(ip.bytes).join(".");
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((ip.bytes[i]! << 8) | ip.bytes[i + 1]!).toString(16));
  return words.join(":").replace(/(^|:)0(:0)+(:|$)/, "::").replace(/:{3,}/, "::");
}

/** Parses `10.0.0.0/8`, `fc00::/7` or a bare address (a /32 or /128). */
export function parseCidr(text: string): Cidr | undefined {
  const [address, bits, extra] = text.split("/");
  if (extra !== undefined || !address) return undefined;
  const ip = parseIp(address);
  if (!ip) return undefined;
  const max = ip.family === 4 ? 32 : 128;
  if (bits === undefined) return { ip, prefix: max };
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return undefined;
  return { ip, prefix: Number(bits) };
}

export function inCidr(ip: Ip, cidr: Cidr): boolean {
  if (ip.family !== cidr.ip.family) return false;
  for (let bit = 0; bit < cidr.prefix; bit++) {
    const mask = 0x80 >> bit % 8;
    if ((ip.bytes[bit >> 3]! & mask) !== (cidr.ip.bytes[bit >> 3]! & mask)) return false;
  }
  return true;
}

const cidr = (text: string) => parseCidr(text)!;

/** Blocked IPv4 ranges, most specific reason first. */
const V4_BLOCKED: { range: Cidr; name: string; reason: string }[] = [
  { range: cidr("0.0.0.0/8"), name: "0.0.0.0/8", reason: "is unspecified (this network)" },
  { range: cidr("127.0.0.0/8"), name: "127.0.0.0/8", reason: "is a loopback address" },
  { range: cidr("169.254.0.0/16"), name: "169.254.0.0/16", reason: "is link-local (cloud metadata services live here)" },
  { range: cidr("10.0.0.0/8"), name: "10.0.0.0/8", reason: "is in a private range" },
  { range: cidr("172.16.0.0/12"), name: "172.16.0.0/12", reason: "is in a private range" },
  { range: cidr("192.168.0.0/16"), name: "192.168.0.0/16", reason: "is in a private range" },
  { range: cidr("100.64.0.0/10"), name: "100.64.0.0/10", reason: "is in the carrier-grade NAT range" },
  { range: cidr("192.0.0.0/24"), name: "192.0.0.0/24", reason: "is reserved (IETF protocol assignments)" },
  { range: cidr("192.0.2.0/24"), name: "192.0.2.0/24", reason: "is reserved (documentation)" },
  { range: cidr("198.51.100.0/24"), name: "198.51.100.0/24", reason: "is reserved (documentation)" },
  { range: cidr("203.0.113.0/24"), name: "203.0.113.0/24", reason: "is reserved (documentation)" },
  { range: cidr("192.88.99.0/24"), name: "192.88.99.0/24", reason: "is reserved (6to4 relay)" },
  { range: cidr("198.18.0.0/15"), name: "198.18.0.0/15", reason: "is reserved (benchmarking)" },
  { range: cidr("224.0.0.0/4"), name: "224.0.0.0/4", reason: "is a multicast address" },
  { range: cidr("240.0.0.0/4"), name: "240.0.0.0/4", reason: "is reserved (including broadcast)" },
];

const V6_BLOCKED: { range: Cidr; name: string; reason: string }[] = [
  { range: cidr("::/128"), name: "::/128", reason: "is unspecified" },
  { range: cidr("::1/128"), name: "::1/128", reason: "is a loopback address" },
  { range: cidr("fe80::/10"), name: "fe80::/10", reason: "is link-local" },
  { range: cidr("fc00::/7"), name: "fc00::/7", reason: "is in a private range (unique local)" },
  { range: cidr("fec0::/10"), name: "fec0::/10", reason: "is reserved (site-local)" },
  { range: cidr("ff00::/8"), name: "ff00::/8", reason: "is a multicast address" },
  { range: cidr("2001:db8::/32"), name: "2001:db8::/32", reason: "is reserved (documentation)" },
  { range: cidr("2001::/32"), name: "2001::/32", reason: "is a Teredo tunnel address, which can hide any IPv4 address" },
  { range: cidr("64:ff9b:1::/48"), name: "64:ff9b:1::/48", reason: "is reserved (local-use NAT64)" },
  { range: cidr("100::/64"), name: "100::/64", reason: "is reserved (discard)" },
];

const GLOBAL_UNICAST = cidr("2000::/3");

/** IPv6 forms that carry an IPv4 address, and where: the embedded address is judged instead. */
const V6_EMBEDDING: { range: Cidr; name: string; offset: number }[] = [
  { range: cidr("::ffff:0:0/96"), name: "an IPv4-mapped", offset: 12 },
  { range: cidr("64:ff9b::/96"), name: "a NAT64", offset: 12 },
  { range: cidr("2002::/16"), name: "a 6to4", offset: 2 },
];

export interface Blocked {
  /** The range it is in, as CIDR. */
  range: string;
  /** A phrase: "is a loopback address". */
  reason: string;
}

/** Why an address may not be reached without an allowlist entry; undefined when it is public. */
export function blockedRange(ip: Ip): Blocked | undefined {
  if (ip.family === 4) {
    const hit = V4_BLOCKED.find((b) => inCidr(ip, b.range));
    return hit ? { range: hit.name, reason: hit.reason } : undefined;
  }
  for (const embedding of V6_EMBEDDING) {
    if (!inCidr(ip, embedding.range)) continue;
    const inner: Ip = { family: 4, bytes: ip.bytes.slice(embedding.offset, embedding.offset + 4) };
    const hit = blockedRange(inner);
    return hit ? { range: hit.range, reason: `${hit.reason} (${formatIp(inner)} inside ${embedding.name} IPv6 address)` } : undefined;
  }
  const hit = V6_BLOCKED.find((b) => inCidr(ip, b.range));
  if (hit) return { range: hit.name, reason: hit.reason };
  // Everything outside 2000::/3 is unassigned or special-purpose (IPv4-compatible ::a.b.c.d too).
  if (!inCidr(ip, GLOBAL_UNICAST)) return { range: "outside 2000::/3", reason: "is not a global unicast address" };
  return undefined;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address, as connections report it (::ffff:a.b.c.d). */
export function unmapped(ip: Ip): Ip {
  return ip.family === 6 && inCidr(ip, V6_EMBEDDING[0]!.range) ? { family: 4, bytes: ip.bytes.slice(12) } : ip;
}
