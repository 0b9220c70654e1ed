import { describe, expect, it } from "vitest";
import { allowsAddress, allowsHost, parseAllowEntry, parseAllowlist } from "./allowlist";
import { blockedRange, formatIp, parseIp } from "./ip";

const blocked = (text: string) => blockedRange(parseIp(text)!)?.range;

describe("blockedRange", () => {
  it.each([
    ["127.0.0.1", "127.0.0.0/8"],
    ["127.255.1.2", "127.0.0.0/8"],
    ["0.0.0.0", "0.0.0.0/8"],
    ["10.0.0.5", "10.0.0.0/8"],
    ["172.16.0.1", "172.16.0.0/12"],
    ["172.31.255.255", "172.16.0.0/12"],
    ["192.168.1.1", "192.168.0.0/16"],
    ["100.64.0.1", "100.64.0.0/10"],
    ["100.127.255.254", "100.64.0.0/10"],
    ["169.254.169.254", "169.254.0.0/16"],
    ["224.0.0.1", "224.0.0.0/4"],
    ["239.255.255.250", "224.0.0.0/4"],
    ["255.255.255.255", "240.0.0.0/4"],
    ["198.18.0.1", "198.18.0.0/15"],
    ["::1", "::1/128"],
    ["::", "::/128"],
    ["fe80::1", "fe80::/10"],
    ["febf::1", "fe80::/10"],
    ["fc00::1", "fc00::/7"],
    ["fd12:3456::1", "fc00::/7"],
    ["ff02::1", "ff00::/8"],
    ["::ffff:127.0.0.1", "127.0.0.0/8"],
    ["::ffff:7f00:1", "127.0.0.0/8"],
    ["::ffff:a9fe:a9fe", "169.254.0.0/16"],
    ["64:ff9b::10.0.0.1", "10.0.0.0/8"],
    ["64:ff9b::7f00:1", "127.0.0.0/8"],
    ["2002:7f00:1::", "127.0.0.0/8"],
    ["2002:c0a8:101::1", "192.168.0.0/16"],
    ["2001:db8::1", "2001:db8::/32"],
    ["2001:0:4136:e378::1", "2001::/32"],
    ["::127.0.0.1", "outside 2000::/3"],
  ])("%s is refused as %s", (address, range) => {
    expect(blocked(address)).toBe(range);
  });

  it.each(["93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"])("%s is public", (address) => {
    expect(blockedRange(parseIp(address)!)).toBeUndefined();
  });

  it("names the embedded address of an IPv6 form of IPv4", () => {
    expect(blockedRange(parseIp("::ffff:7f00:1")!)!.reason).toBe("is a loopback address (127.0.0.1 inside an IPv4-mapped IPv6 address)");
  });

  it("parses and formats IPv6 without losing bits", () => {
    expect(formatIp(parseIp("fe80::1")!)).toBe("fe80::1");
    expect(formatIp(parseIp("::ffff:127.0.0.1")!)).toBe("::ffff:7f00:1");
    expect(parseIp("not-an-ip")).toBeUndefined();
    expect(parseIp("0x7f.1")).toBeUndefined();
  });
});

describe("the egress allowlist", () => {
  it("parses hostnames, wildcards, addresses and ranges, each optionally with a port", () => {
    const list = parseAllowlist(["api.internal", "*.corp.example:8443", "10.1.0.0/16", "127.0.0.1:8080", "[::1]:9000", "fd00::/8"]);
    expect(list).toHaveLength(6);
    expect(allowsHost(list, "api.internal", 80)).toBe(true);
    expect(allowsHost(list, "API.Internal", 443)).toBe(true);
    expect(allowsHost(list, "x.api.internal", 80)).toBe(false);
    expect(allowsHost(list, "svc.corp.example", 8443)).toBe(true);
    expect(allowsHost(list, "svc.corp.example", 443)).toBe(false);
    expect(allowsHost(list, "corp.example", 8443)).toBe(false);
    expect(allowsAddress(list, parseIp("10.1.2.3")!, 5432)).toBe(true);
    expect(allowsAddress(list, parseIp("10.2.0.1")!, 80)).toBe(false);
    expect(allowsAddress(list, parseIp("127.0.0.1")!, 8080)).toBe(true);
    expect(allowsAddress(list, parseIp("127.0.0.1")!, 8081)).toBe(false);
    expect(allowsAddress(list, parseIp("::1")!, 9000)).toBe(true);
    expect(allowsAddress(list, parseIp("fd12::1")!, 1)).toBe(true);
  });

  it.each([
    ["", "is empty"],
    ["10.0.0.0/33", "'10.0.0.0/33' is not a valid IP address or CIDR range (e.g. 10.0.0.0/8, fd00::/8)"],
    ["host:http", "'host:http': the port must be a number"],
    ["host:70000", "'host:70000': the port must be between 1 and 65535"],
    ["bad_host!", "'bad_host!' is not a hostname, *.domain, IP address or CIDR range"],
  ])("refuses %j: %s", (entry, message) => {
    expect(parseAllowEntry(entry)).toEqual({ ok: false, message });
  });
});
