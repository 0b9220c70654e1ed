import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { apiReference } from "../../scripts/api-reference";
import { appRouter } from "../../server/trpc/router";
import { procedures } from "../support/routes";

// The docs that were missing when Keel was probed. The API reference is generated from the
// router, so it cannot fall behind: this test fails until `npm run docs:api` rewrote it.

const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), "utf8");

describe("the API reference", () => {
  it("is the one generated from the router (run `npx tsx scripts/api-reference.ts` after changing a procedure)", () => {
    expect(read("docs/api.md")).toBe(apiReference(appRouter));
  });

  it("lists every procedure with its input schema and an example call", () => {
    const doc = read("docs/api.md");
    for (const p of procedures(appRouter)) {
      const section = doc.split(/^### /m).find((s) => s.startsWith(`\`${p.path}\``));
      expect(section, p.path).toBeDefined();
      expect(section, p.path).toMatch(/curl /);
    }
    // The inputs probing had to read from the source.
    for (const path of ["approval.decide", "credential.create", "form.submit", "deadLetter.retry"]) {
      const section = doc.split(/^### /m).find((s) => s.startsWith(`\`${path}\``))!;
      expect(section, path).toMatch(/```json\n\{/);
    }
  });

  it("says how to call tRPC from curl: POST body, GET ?input=, result.data", () => {
    const doc = read("docs/api.md");
    expect(doc).toMatch(/\?input=/);
    expect(doc).toMatch(/result\.data/);
    expect(doc).toMatch(/-X POST/);
    expect(doc).toMatch(/Authorization: Bearer/);
  });
});

describe("the rest of the docs", () => {
  it("names every field of the webhook reply, duplicate included", () => {
    const doc = read("docs/graph-format.md");
    for (const field of ["deliveryId", "runId", "status", "duplicate", "output"]) expect(doc).toContain(`\`${field}\``);
  });

  it("describes retry jitter", () => {
    expect(read("docs/graph-format.md")).toMatch(/jitter/i);
  });

  it("says skip and runOnce behave alike for an every-minute cron", () => {
    expect(read("docs/graph-format.md")).toMatch(/every minute[^.]*skip[^.]*runOnce|every-minute/i);
  });

  it("says the LLM writes summaries once an endpoint and a default model are set", () => {
    expect(read("docs/memory.md")).toMatch(/default model/i);
  });

  it("says when KEEL_EMBEDDING_DIMENSIONS is needed", () => {
    expect(read("docs/memory.md")).toMatch(/KEEL_EMBEDDING_DIMENSIONS[^.]*(needed|required)/);
  });

  it("ships a favicon.ico (no 404 on every page)", () => {
    const icon = fileURLToPath(new URL("../../app/favicon.ico", import.meta.url));
    expect(existsSync(icon)).toBe(true);
    // An ICO file: reserved 0, type 1, at least one image.
    const header = readFileSync(icon).subarray(0, 6);
    expect([...header.subarray(0, 4)]).toEqual([0, 0, 1, 0]);
    expect(header.readUInt16LE(4)).toBeGreaterThan(0);
  });
});
