import { describe, expect, it } from "vitest";
import { clientIp, PEER_HEADER } from "./request-guards";

const request = (headers: Record<string, string>) => new Request("http://127.0.0.1:3000/api/trpc/auth.login", { headers });

describe("clientIp", () => {
  it("ignores X-Forwarded-For when no proxy is trusted: the socket's address counts", () => {
    const req = request({ [PEER_HEADER]: "192.0.2.10", "x-forwarded-for": "10.9.9.9, 203.0.113.1" });
    expect(clientIp(req, [])).toBe("192.0.2.10");
  });

  it("trusts X-Forwarded-For only from a configured proxy, taking the nearest untrusted hop", () => {
    const trusted = ["127.0.0.1", "10.0.0.0/8"];
    expect(clientIp(request({ [PEER_HEADER]: "127.0.0.1", "x-forwarded-for": "6.6.6.6, 203.0.113.1, 10.1.2.3" }), trusted)).toBe("203.0.113.1");
    // A peer that is not a trusted proxy cannot choose its address by header.
    expect(clientIp(request({ [PEER_HEADER]: "198.51.100.4", "x-forwarded-for": "203.0.113.1" }), trusted)).toBe("198.51.100.4");
    // A proxy that sent no header: the proxy is the client.
    expect(clientIp(request({ [PEER_HEADER]: "127.0.0.1" }), trusted)).toBe("127.0.0.1");
  });

  it("reads IPv4-mapped IPv6 peers as IPv4", () => {
    expect(clientIp(request({ [PEER_HEADER]: "::ffff:127.0.0.1", "x-forwarded-for": "203.0.113.1" }), ["127.0.0.1"])).toBe("203.0.113.1");
  });
});
