import { expect, type Page } from "@playwright/test";

// Memory for browser tests, written the way workflows write it: a published workflow with a
// memory.remember step, run through the real worker of `keel start` (which also indexes it).

async function call(page: Page, path: string, input: unknown, kind: "query" | "mutation") {
  const headers = { "x-keel-csrf": "1", origin: new URL(page.url() === "about:blank" ? "http://x" : page.url()).origin };
  const response =
    kind === "mutation"
      ? await page.request.post(`/api/trpc/${path}`, { data: input, headers })
      : await page.request.get(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers });
  expect(response.ok(), `${path}: ${await response.text()}`).toBe(true);
  return (await response.json()).result.data;
}

/** Remembers each text about `subject` (kind:key) through its own run; resolves once all succeeded. */
export async function rememberThroughRuns(page: Page, subject: string, texts: string[], itemKind = "note"): Promise<void> {
  const colon = subject.indexOf(":");
  const name = `Remember ${Math.random().toString(36).slice(2, 8)}`;
  const workflow = await call(page, "workflow.create", { name }, "mutation");
  const node = (id: string, type: string, config: Record<string, unknown> = {}) => ({ id, type, typeVersion: 1, label: id, position: { x: 0, y: 0 }, config });
  await call(
    page,
    "workflow.saveDraft",
    {
      id: workflow.id,
      name,
      graph: {
        schemaVersion: 1,
        nodes: [
          node("start", "trigger.manual"),
          node("remember", "memory.remember", { subject: `${subject.slice(0, colon)}:{{ input.key }}`, kind: itemKind, text: "{{ input.text }}" }),
          node("done", "flow.end"),
        ],
        edges: [
          { id: "e1", source: "start", sourcePort: "out", target: "remember", targetPort: "in" },
          { id: "e2", source: "remember", sourcePort: "out", target: "done", targetPort: "in" },
        ],
      },
    },
    "mutation",
  );
  await call(page, "workflow.publish", { id: workflow.id }, "mutation");
  for (const text of texts) {
    const run = await call(page, "run.start", { workflow: workflow.id, input: { key: subject.slice(colon + 1), text } }, "mutation");
    await expect.poll(async () => (await call(page, "run.get", { id: run.id }, "query")).status, { timeout: 30_000 }).toBe("succeeded");
  }
}
