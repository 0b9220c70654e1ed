import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PermanentError } from "../../engine/errors";
import type { ExecutionContext } from "../../engine/registry";
import { Worker } from "../../engine/runtime/worker";
import { parseAllowlist } from "../../infra/http/allowlist";
import type { EgressPolicy, Resolver } from "../../infra/http/egress-guard";
import { egressHttp } from "../../infra/http/http-capability";
import { httpRequestNode } from "../../nodes/adapters/http-request";
import { httpRequestExecutor } from "../../nodes/adapters/http-request.server";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { servicesFor } from "../../server/services";
import { egressPolicySource, saveEgressAllowlist } from "../../server/services/egress";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { e, n } from "../support/graph-builders";
import { startSink } from "../support/http-sink";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// The egress guard against real HTTP servers on 127.0.0.1 (and 127.0.0.2, also loopback on
// Linux): every blocked form refused with a sentence naming the host and the range, allowlisted
// destinations reached, redirects checked hop by hop, rebinding names pinned to the checked address.

type Sink = Awaited<ReturnType<typeof startSink>>;

const noDns: Resolver = async (hostname) => {
  throw Object.assign(new Error(`no DNS in this test for ${hostname}`), { code: "ENOTFOUND" });
};

function call(policy: Partial<EgressPolicy>, config: Record<string, unknown>) {
  const ctx: ExecutionContext<ReturnType<(typeof httpRequestNode)["config"]["parse"]>> = {
    runId: "run",
    nodeId: "call",
    visit: 1,
    iteration: 1,
    idempotencyKey: "run:call:1",
    config: httpRequestNode.config.parse(config),
    data: { input: {}, outputs: {} },
    signal: AbortSignal.timeout(10_000),
    http: egressHttp(async () => ({ allowlist: [], resolve: noDns, ...policy })),
  };
  return httpRequestExecutor(ctx);
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PermanentError);
  return (error as Error).message;
}

describe("the egress guard", () => {
  let sink: Sink;
  let port: number;
  beforeAll(async () => {
    sink = await startSink((c) => ({ status: 200, body: { path: c.path } }));
    port = sink.port;
  });
  afterAll(() => sink.close());

  it.each([
    ["127.0.0.1", "127.0.0.1 is a loopback address (127.0.0.0/8)"],
    ["localhost.", "127.0.0.1 (resolved from localhost.) is a loopback address (127.0.0.0/8)"],
    ["[::1]", "::1 is a loopback address (::1/128)"],
    ["0.0.0.0", "0.0.0.0 is unspecified (this network) (0.0.0.0/8)"],
    ["[::]", ":: is unspecified (::/128)"],
    ["169.254.169.254", "169.254.169.254 is link-local (cloud metadata services live here) (169.254.0.0/16)"],
    ["[fe80::1]", "fe80::1 is link-local (fe80::/10)"],
    ["10.0.0.5", "10.0.0.5 is in a private range (10.0.0.0/8)"],
    ["172.16.3.4", "172.16.3.4 is in a private range (172.16.0.0/12)"],
    ["192.168.0.10", "192.168.0.10 is in a private range (192.168.0.0/16)"],
    ["100.64.1.1", "100.64.1.1 is in the carrier-grade NAT range (100.64.0.0/10)"],
    ["[fd00::1]", "fd00::1 is in a private range (unique local) (fc00::/7)"],
    ["224.0.0.1", "224.0.0.1 is a multicast address (224.0.0.0/4)"],
    ["[ff02::1]", "ff02::1 is a multicast address (ff00::/8)"],
    ["240.0.0.1", "240.0.0.1 is reserved (including broadcast) (240.0.0.0/4)"],
    ["[::ffff:127.0.0.1]", "::ffff:7f00:1 is a loopback address (127.0.0.1 inside an IPv4-mapped IPv6 address) (127.0.0.0/8)"],
    ["[::ffff:7f00:1]", "::ffff:7f00:1 is a loopback address (127.0.0.1 inside an IPv4-mapped IPv6 address) (127.0.0.0/8)"],
    ["[64:ff9b::a00:5]", "64:ff9b::a00:5 is in a private range (10.0.0.5 inside a NAT64 IPv6 address) (10.0.0.0/8)"],
    ["[2002:c0a8:1::1]", "2002:c0a8:1::1 is in a private range (192.168.0.1 inside a 6to4 IPv6 address) (192.168.0.0/16)"],
    // The URL parser reads these spellings as 127.0.0.1; the guard sees what would be connected to.
    ["2130706433", "127.0.0.1 is a loopback address (127.0.0.0/8)"],
    ["0177.0.0.1", "127.0.0.1 is a loopback address (127.0.0.0/8)"],
    ["0x7f.1", "127.0.0.1 is a loopback address (127.0.0.0/8)"],
    ["127.1", "127.0.0.1 is a loopback address (127.0.0.0/8)"],
  ])("refuses http://%s", async (host, reason) => {
    const before = sink.calls.length;
    const resolve: Resolver = async (h) => (h === "localhost." ? [{ address: "127.0.0.1", family: 4 }] : noDns(h));
    const message = await refusal(call({ resolve }, { url: `http://${host}:${port}/x` }));
    expect(message).toBe(`url: ${reason}; add it to the egress allowlist in Settings if this is intended`);
    expect(sink.calls.length).toBe(before);
  });

  it("refuses a name when any one of its addresses is private, naming the name", async () => {
    const resolve: Resolver = async () => [
      { address: "93.184.216.34", family: 4 },
      { address: "10.0.0.5", family: 4 },
    ];
    expect(await refusal(call({ resolve }, { url: "http://internal.example/" }))).toBe(
      "url: 10.0.0.5 (resolved from internal.example) is in a private range (10.0.0.0/8); add it to the egress allowlist in Settings if this is intended",
    );
  });

  it("fails for good on a name that does not exist, and retryably when the resolver is down", async () => {
    expect(await refusal(call({}, { url: "http://no-such-host.test/" }))).toBe("url: no-such-host.test could not be resolved (ENOTFOUND)");
    const down: Resolver = async () => {
      throw Object.assign(new Error("timeout"), { code: "EAI_AGAIN" });
    };
    await expect(call({ resolve: down }, { url: "http://flaky-dns.test/" })).rejects.toMatchObject({ kind: "retryable", message: "url: flaky-dns.test could not be resolved (EAI_AGAIN)" });
  });

  it("reaches an allowlisted address, by address or by name", async () => {
    const byAddress = await call({ allowlist: parseAllowlist([`127.0.0.1:${port}`]) }, { url: `${sink.url}/ok` });
    expect(byAddress.output).toMatchObject({ status: 200, body: { path: "/ok" } });
    const resolve: Resolver = async () => [{ address: "127.0.0.1", family: 4 }];
    const byName = await call({ allowlist: parseAllowlist(["*.sink.test"]), resolve }, { url: `http://api.sink.test:${port}/named` });
    expect(byName.output).toMatchObject({ status: 200, body: { path: "/named" } });
    expect(sink.calls.at(-1)!.headers.host).toBe(`api.sink.test:${port}`);
  });

  it("checks the port of an entry that names one", async () => {
    expect(await refusal(call({ allowlist: parseAllowlist([`127.0.0.1:${port + 1}`]) }, { url: `${sink.url}/x` }))).toContain("127.0.0.1 is a loopback address");
  });

  describe("redirects", () => {
    let hop: Sink;
    beforeAll(async () => {
      hop = await startSink((c) => {
        if (c.path === "/to-private") return { status: 302, headers: { location: "http://10.0.0.5/secret" } };
        if (c.path === "/to-sink") return { status: 307, headers: { location: `${sink.url}/landed` } };
        if (c.path === "/see-other") return { status: 303, headers: { location: "/after" } };
        if (c.path === "/moved") return { status: 308, headers: { location: "/after" } };
        if (c.path === "/loop") return { status: 302, headers: { location: "/loop" } };
        if (c.path === "/to-file") return { status: 302, headers: { location: "file:///etc/passwd" } };
        return { status: 200, body: { method: c.method, body: c.body } };
      });
    });
    afterAll(() => hop.close());
    const onlyHop = () => parseAllowlist([`127.0.0.1:${hop.port}`]);

    it("refuses a redirect from an allowlisted sink to a private address", async () => {
      expect(await refusal(call({ allowlist: onlyHop() }, { url: `${hop.url}/to-private` }))).toBe(
        "url (redirect 1 to http://10.0.0.5): 10.0.0.5 is in a private range (10.0.0.0/8); add it to the egress allowlist in Settings if this is intended",
      );
    });

    it("refuses a redirect to a loopback port the allowlist does not name", async () => {
      const before = sink.calls.length;
      expect(await refusal(call({ allowlist: onlyHop() }, { url: `${hop.url}/to-sink` }))).toContain(`url (redirect 1 to ${sink.url}): 127.0.0.1 is a loopback address`);
      expect(sink.calls.length).toBe(before);
    });

    it("follows allowed redirects with the right method and body", async () => {
      const allow = { allowlist: parseAllowlist([`127.0.0.1:${hop.port}`, `127.0.0.1:${sink.port}`]) };
      expect((await call(allow, { method: "POST", url: `${hop.url}/to-sink`, body: { a: 1 } })).output).toMatchObject({ body: { path: "/landed" } });
      expect(sink.calls.at(-1)).toMatchObject({ method: "POST", body: '{"a":1}' });
      expect((await call(allow, { method: "POST", url: `${hop.url}/see-other`, body: { a: 1 } })).output).toMatchObject({ body: { method: "GET", body: "" } });
      expect((await call(allow, { method: "PUT", url: `${hop.url}/moved`, body: "x" })).output).toMatchObject({ body: { method: "PUT", body: "x" } });
      expect(await refusal(call(allow, { url: `${hop.url}/loop` }))).toBe("url: more than 5 redirects (the last to /loop)");
      expect(await refusal(call(allow, { url: `${hop.url}/to-file` }))).toBe(`url: a redirect from 127.0.0.1:${hop.port} went to file:, only http and https are allowed`);
    });

    it("does not carry Authorization to another origin", async () => {
      const allow = { allowlist: parseAllowlist([`127.0.0.1:${hop.port}`, `127.0.0.1:${sink.port}`]) };
      await call(allow, { url: `${hop.url}/to-sink`, headers: { Authorization: "Bearer keep-it-here" } });
      expect(hop.calls.at(-1)!.headers.authorization).toBe("Bearer keep-it-here");
      expect(sink.calls.at(-1)!.headers.authorization).toBeUndefined();
    });
  });

  describe("a rebinding name", () => {
    let allowed: Sink;
    let forbidden: Sink;
    beforeAll(async () => {
      allowed = await startSink(() => ({ status: 200, body: { who: "allowed" } }), { host: "127.0.0.2" });
      // The same port on 127.0.0.1: where a second lookup would lead.
      forbidden = await startSink(() => ({ status: 200, body: { who: "forbidden" } }), { port: allowed.port });
    });
    afterAll(async () => {
      await allowed.close();
      await forbidden.close();
    });

    it("is connected to the address that was checked, never to what it resolves to next", async () => {
      const answers: string[] = [];
      const resolve: Resolver = async () => {
        const address = answers.length === 0 ? "127.0.0.2" : "127.0.0.1";
        answers.push(address);
        return [{ address, family: 4 }];
      };
      const result = await call({ allowlist: parseAllowlist(["127.0.0.2"]), resolve }, { url: `http://rebind.test:${allowed.port}/` });
      expect(result.output).toMatchObject({ body: { who: "allowed" } });
      expect(allowed.calls).toHaveLength(1);
      expect(forbidden.calls).toHaveLength(0);
      expect(answers).toEqual(["127.0.0.2"]);
      // The next request resolves afresh and is refused: the check follows the answer.
      expect(await refusal(call({ allowlist: parseAllowlist(["127.0.0.2"]), resolve }, { url: `http://rebind.test:${allowed.port}/` }))).toContain(
        "127.0.0.1 (resolved from rebind.test) is a loopback address",
      );
      expect(forbidden.calls).toHaveLength(0);
    });
  });

  it("caps the response at maxResponseBytes", async () => {
    const allow = { allowlist: parseAllowlist([`127.0.0.1:${port}`]) };
    expect(await refusal(call(allow, { url: `${sink.url}/a-long-path-to-echo`, maxResponseBytes: 10 }))).toBe(`GET 127.0.0.1:${port}: the response is larger than 10 bytes (maxResponseBytes)`);
    expect(() => httpRequestNode.config.parse({ url: "http://x", maxResponseBytes: 2 * 1024 * 1024 })).toThrow(/must be at most 1048576 bytes/);
  });
});

describe.each(databaseKinds())("the egress allowlist in Settings on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let sink: Sink;
  beforeAll(async () => {
    env = await migratedDatabase(kind);
    sink = await startSink();
  });
  afterAll(async () => {
    await sink.close();
    await env.dispose();
  });

  it("workers see an edit within the cache time, not before, and a broken stored value as an empty list", async () => {
    let clock = 0;
    const policy = egressPolicySource(env.database.db, ["*.from-env.example"], { cacheMs: 5_000, now: () => clock });
    await saveEgressAllowlist(env.database.db, { entries: ["10.9.0.0/16"] }, "operator");
    expect((await policy()).allowlist).toHaveLength(2);
    await saveEgressAllowlist(env.database.db, { entries: ["10.9.0.0/16", "10.8.0.1"] }, "operator");
    clock = 4_999;
    expect((await policy()).allowlist).toHaveLength(2);
    // A refused request asks for a fresh read: it sees the edit at once.
    expect((await policy({ fresh: true })).allowlist).toHaveLength(3);
    await saveEgressAllowlist(env.database.db, { entries: ["10.9.0.0/16", "10.8.0.1", "10.8.0.2"] }, "operator");
    clock = 9_998;
    expect((await policy()).allowlist).toHaveLength(3);
    clock = 10_000;
    expect((await policy()).allowlist).toHaveLength(4);
    await env.database.db.setting.update({ where: { key: "egress.allowlist" }, data: { value: { entries: ["not a valid entry!"] } } });
    clock = 20_000;
    expect((await policy()).allowlist.map((e) => e.kind)).toEqual(["host"]);
    await saveEgressAllowlist(env.database.db, { entries: [] }, "operator");
  });

  it("refuses loopback until the operator allows it; then the run reaches the sink", async () => {
    const services = servicesFor(loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-ssrf-")), DATABASE_URL: env.scratch.target.url }), env.database);
    const wf = await services.workflows.create({
      name: "Egress",
      graph: { schemaVersion: 1, nodes: [n("start", "trigger.manual"), n("call", "http.request", { url: `${sink.url}/hello` }), n("done", "flow.end")], edges: [e("a", "start", "call"), e("b", "call", "done")] },
    });
    await services.publishing.publish({ id: wf.id });
    const refused = await services.runs.start({ workflow: wf.id, input: {} });
    // One worker throughout: its cached allowlist must not outlive the operator's edit.
    const worker = new Worker(runtimeDeps(env.database), { id: "egress-1" });
    await worker.drain();
    const dead = await env.database.db.run.findUniqueOrThrow({ where: { id: refused.id } });
    expect(dead.status).toBe("dead");
    expect((dead.error as { message: string }).message).toContain("127.0.0.1 is a loopback address (127.0.0.0/8); add it to the egress allowlist in Settings");
    expect(sink.calls).toHaveLength(0);

    await saveEgressAllowlist(env.database.db, { entries: ["127.0.0.1"] }, "operator");
    const allowed = await services.runs.start({ workflow: wf.id, input: {} });
    await worker.drain();
    expect((await env.database.db.run.findUniqueOrThrow({ where: { id: allowed.id } })).status).toBe("succeeded");
    expect(sink.calls).toHaveLength(1);

    // KEEL_EGRESS_ALLOW adds to the stored list, for workers started with it.
    await saveEgressAllowlist(env.database.db, { entries: [] }, "operator");
    const fromEnv = await services.runs.start({ workflow: wf.id, input: {} });
    await new Worker(runtimeDeps(env.database, { egressAllow: loadConfig({ KEEL_EGRESS_ALLOW: "127.0.0.1, *.corp.example" }).egressAllow }), { id: "egress-3" }).drain();
    expect((await env.database.db.run.findUniqueOrThrow({ where: { id: fromEnv.id } })).status).toBe("succeeded");
  });
});
