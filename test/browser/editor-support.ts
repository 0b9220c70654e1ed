import { expect, type Locator, type Page } from "@playwright/test";

// Helpers for the editor's browser tests: API calls as the signed-in operator, and the canvas
// gestures (palette drags, port-to-port connections) done with the real mouse.

export async function api<T = unknown>(page: Page, path: string, input: unknown, method: "mutation" | "query" = "mutation"): Promise<T> {
  const response =
    method === "mutation"
      ? await page.request.post(`/api/trpc/${path}`, { data: input, headers: { "x-keel-csrf": "1" } })
      : await page.request.get(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`);
  expect(response.ok(), await response.text()).toBe(true);
  return (await response.json()).result.data as T;
}

export interface StoredGraph {
  nodes: { id: string; type: string; label: string; position: { x: number; y: number }; config: Record<string, unknown> }[];
  edges: { id: string; source: string; sourcePort: string; target: string; targetPort: string }[];
}

export async function draft(page: Page, id: string): Promise<StoredGraph & { revision: number }> {
  const wf = await api<{ draftGraph: StoredGraph; revision: number }>(page, "workflow.get", { id }, "query");
  return { ...wf.draftGraph, revision: wf.revision };
}

export async function newWorkflow(page: Page, name: string): Promise<string> {
  await page.goto("/");
  const wf = await api<{ id: string }>(page, "workflow.create", { name });
  await page.goto(`/workflows/${wf.id}`);
  await expect(page.getByTestId("editor")).toBeVisible();
  return wf.id;
}

export const node = (page: Page, id: string): Locator => page.locator(`[data-testid="canvas-node"][data-node-id="${id}"]`);

export async function dragFromPalette(page: Page, type: string, at: { x: number; y: number }) {
  await page.getByTestId(`palette-${type}`).dragTo(page.getByTestId("workflow-canvas"), { targetPosition: at });
}

export async function connect(page: Page, from: string, port: string, to: string) {
  const source = page.locator(`.react-flow__node[data-id="${from}"] .react-flow__handle.source[data-handleid="${port}"]`);
  const target = page.locator(`.react-flow__node[data-id="${to}"] .react-flow__handle.target`);
  const a = (await source.boundingBox())!;
  const b = (await target.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + 40, a.y + 10, { steps: 5 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 10 });
  await page.mouse.up();
}

export async function select(page: Page, id: string) {
  await node(page, id).locator(".kn-head").click();
  await expect(page.getByTestId("node-panel")).toContainText(id);
}

/** Types into a CodeMirror field of the selected node's panel. */
export async function typeExpression(page: Page, field: string, text: string) {
  const editor = page.locator(`[data-field="${field}"] .cm-content`);
  await editor.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.type(text);
  await page.keyboard.press("Escape"); // close the completion list
}

export async function saved(page: Page) {
  await expect(page.getByTestId("save-status")).toHaveAttribute("data-status", "saved", { timeout: 15_000 });
}

export async function nodePosition(page: Page, id: string): Promise<{ x: number; y: number }> {
  const transform = await page.locator(`.react-flow__node[data-id="${id}"]`).evaluate((el) => (el as HTMLElement).style.transform);
  const m = /translate\(([-\d.]+)px, ?([-\d.]+)px\)/.exec(transform)!;
  return { x: Number(m[1]), y: Number(m[2]) };
}

/** Fits the view (F) and waits until the viewport stops moving. */
export async function fitView(page: Page) {
  await page.keyboard.press("f");
  const viewport = page.locator(".react-flow__viewport");
  let last = "";
  await expect
    .poll(async () => {
      const now = await viewport.evaluate((el) => (el as HTMLElement).style.transform);
      const still = now === last;
      last = now;
      return still;
    }, { intervals: [150] })
    .toBe(true);
}
