// Secrets a step resolved never reach storage: every value the credential resolver handed out
// during a step is recorded here, and the step's output and error pass through `apply` before
// anything (ledger, events, checkpoint, dead letter, run error) is written. Encoded forms are
// redacted too, because an executor or a peer may echo a secret as base64 (Basic auth),
// URL-encoded (a query string) or JSON-escaped (a body).

import { ConfigurationError } from "../errors";
import type { CredentialResolver } from "../registry";

/** Shorter values are not redacted: replacing every "ab" in an output would destroy it and hide nothing. */
const MIN_LENGTH = 4;

/**
 * The base64 characters that encode `bytes` wherever they sit inside a longer base64 text
 * (`Bearer <token>` encoded whole, user:password): one run per alignment, without the edge
 * characters that also depend on the neighbouring bytes.
 */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64").replace(/=+$/, "");
    const start = Math.ceil((offset * 8) / 6);
    const end = Math.floor(((offset + bytes.length) * 8) / 6);
    const core = encoded.slice(start, end);
    cores.push(core, core.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return cores;
}

function encodings(value: string): string[] {
  const bytes = Buffer.from(value, "utf8");
  const base64 = bytes.toString("base64");
  return [
    value,
    base64,
    bytes.toString("base64url"),
    ...(bytes.length >= 6 ? base64Cores(bytes) : []),
    encodeURIComponent(value),
    encodeURIComponent(value).replace(/%20/g, "+"),
    JSON.stringify(value).slice(1, -1),
  ];
}

export class Redactor {
  private forms: { text: string; marker: string }[] = [];

  add(credential: string, values: readonly string[]): void {
    const marker = `[redacted:${credential}]`;
    for (const value of values) {
      if (value.length < MIN_LENGTH) continue;
      for (const text of encodings(value)) if (text.length >= MIN_LENGTH && !this.forms.some((f) => f.text === text)) this.forms.push({ text, marker });
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.forms.sort((a, b) => b.text.length - a.text.length);
  }

  get active(): boolean {
    return this.forms.length > 0;
  }

  text(value: string): string {
    let out = value;
    for (const form of this.forms) if (out.includes(form.text)) out = out.split(form.text).join(form.marker);
    return out;
  }

  /** A copy of a JSON value with every recorded secret replaced, in keys and strings alike. */
  apply<T>(value: T): T {
    if (!this.active) return value;
    const walk = (v: unknown): unknown => {
      if (typeof v === "string") return this.text(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.text(k), walk(x)]));
      return v;
    };
    return walk(value) as T;
  }
}

/** A resolver for one step that records what it hands out in `redactor`. */
export function recordingResolver(resolve: CredentialResolver | undefined, redactor: Redactor): CredentialResolver {
  return async (name, kinds) => {
    if (!resolve) throw new ConfigurationError(`credential: no credentials are available here to resolve '${name}'`);
    const resolved = await resolve(name, kinds);
    redactor.add(name, resolved.sensitive);
    return resolved;
  };
}
