// The session cookie: HttpOnly (no script reads it), SameSite=Lax (not sent on cross-site
// subrequests or POSTs), Secure whenever Keel is served over https.
export const SESSION_COOKIE = "keel_session";

export function sessionCookie(token: string, expiresAt: Date, publicUrl: string): string {
  const parts = [
    `${SESSION_COOKIE}=${token}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Expires=${expiresAt.toUTCString()}`,
    `Max-Age=${Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000))}`,
  ];
  if (publicUrl.startsWith("https:")) parts.push("Secure");
  return parts.join("; ");
}

// The device cookie: proof that this browser signed in before, so it keeps its own sign-in
// allowance while strangers are rate limited (OWASP's lockout guidance). Signed, not secret.
export const DEVICE_COOKIE = "keel_device";
const DEVICE_COOKIE_DAYS = 365;

export function deviceCookie(value: string, publicUrl: string): string {
  const parts = [`${DEVICE_COOKIE}=${value}`, "Path=/", "HttpOnly", "SameSite=Lax", `Max-Age=${DEVICE_COOKIE_DAYS * 24 * 3600}`];
  if (publicUrl.startsWith("https:")) parts.push("Secure");
  return parts.join("; ");
}

export function clearedSessionCookie(publicUrl: string): string {
  return sessionCookie("", new Date(0), publicUrl);
}

export function readCookie(header: string | null | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return value === "" ? undefined : value;
    }
  }
  return undefined;
}
