/** Minimal client for Keel's HTTP API as a browser or a script would call it. */
export class KeelHttp {
  cookie: string | undefined;

  constructor(readonly base: string) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.cookie ? { cookie: this.cookie } : {}), ...extra };
  }

  /** A tRPC query (GET) or mutation (POST, with the app's CSRF header unless told otherwise). */
  async call(path: string, type: "query" | "mutation", input?: unknown, extra: Record<string, string> = {}): Promise<Response> {
    if (type === "query") {
      const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
      return fetch(`${this.base}/api/trpc/${path}${query}`, { headers: this.headers(extra), redirect: "manual" });
    }
    return fetch(`${this.base}/api/trpc/${path}`, {
      method: "POST",
      headers: this.headers({ "content-type": "application/json", "x-keel-csrf": "1", origin: this.base, ...extra }),
      body: JSON.stringify(input ?? null),
      redirect: "manual",
    });
  }

  async signIn(password: string): Promise<Response> {
    const response = await this.call("auth.login", "mutation", { password });
    const setCookie = response.headers.get("set-cookie");
    if (response.ok && setCookie) this.cookie = setCookie.split(";")[0];
    return response;
  }
}
