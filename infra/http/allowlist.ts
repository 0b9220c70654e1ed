import { z } from "zod";
import { inCidr, parseCidr, type Cidr, type Ip } from "./ip";

// The egress allowlist: destinations the operator lets http.request reach although they are
// private, loopback or otherwise internal. An entry is a hostname (`api.internal`,
// `*.corp.example`), an IP address or a CIDR range, optionally with `:port`
// (`[::1]:8080`, `10.0.0.0/8:443`).

export type AllowEntry =
  | { kind: "host"; host: string; wildcard: boolean; port?: number }
  | { kind: "cidr"; cidr: Cidr; port?: number };

const HOSTNAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Parses one entry; the error says what is wrong with it. */
export function parseAllowEntry(raw: string): { ok: true; entry: AllowEntry } | { ok: false; message: string } {
  const text = raw.trim().toLowerCase();
  if (!text) return { ok: false, message: "is empty" };
  let target = text;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](\/\d+)?(?::(\d+))?$/.exec(text);
  if (bracketed) {
    target = bracketed[1]! + (bracketed[2] ?? "");
    if (bracketed[3] !== undefined) port = Number(bracketed[3]);
  } else if ((text.match(/:/g) ?? []).length === 1) {
    const [left, right] = text.split(":") as [string, string];
    if (!/^\d{1,5}$/.test(right)) return { ok: false, message: `'${raw}': the port must be a number` };
    target = left;
    port = Number(right);
  }
  if (port !== undefined && (port < 1 || port > 65535)) return { ok: false, message: `'${raw}': the port must be between 1 and 65535` };
  const withPort = port === undefined ? {} : { port };
  if (/^[\d.]+(\/\d+)?$/.test(target) || target.includes(":")) {
    const cidr = parseCidr(target);
    if (!cidr) return { ok: false, message: `'${raw}' is not a valid IP address or CIDR range (e.g. 10.0.0.0/8, fd00::/8)` };
    return { ok: true, entry: { kind: "cidr", cidr, ...withPort } };
  }
  const host = HOSTNAME.exec(target);
  if (!host || target.length > 253) return { ok: false, message: `'${raw}' is not a hostname, *.domain, IP address or CIDR range` };
  return { ok: true, entry: { kind: "host", host: target.replace(/^\*\./, ""), wildcard: target.startsWith("*."), ...withPort } };
}

/** The setting as stored and edited: the entries as the operator wrote them. */
export const EgressAllowlistSchema = z.object({
  entries: z
    .array(
      z
        .string()
        .max(300)
        .superRefine((value, ctx) => {
          const parsed = parseAllowEntry(value);
          if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message });
        }),
    )
    .max(200, "at most 200 entries"),
});

export type EgressAllowlist = z.output<typeof EgressAllowlistSchema>;

export function parseAllowlist(entries: readonly string[]): AllowEntry[] {
  return entries.flatMap((e) => {
    const parsed = parseAllowEntry(e);
    return parsed.ok ? [parsed.entry] : [];
  });
}

function hostMatches(entry: Extract<AllowEntry, { kind: "host" }>, hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  return entry.wildcard ? host.endsWith(`.${entry.host}`) : host === entry.host;
}

/** Whether the request's hostname (as written in the URL) is allowed on this port. */
export function allowsHost(list: readonly AllowEntry[], hostname: string, port: number): boolean {
  return list.some((e) => e.kind === "host" && (e.port === undefined || e.port === port) && hostMatches(e, hostname));
}

/** Whether the address the request would connect to is allowed on this port. */
export function allowsAddress(list: readonly AllowEntry[], ip: Ip, port: number): boolean {
  return list.some((e) => e.kind === "cidr" && (e.port === undefined || e.port === port) && inCidr(ip, e.cidr));
}
