import { expect, test } from "@playwright/test";
import { TEMPLATES } from "../../prisma/templates";

test("the workflows page lists the seeded workflows", async ({ page }) => {
  await page.goto("/workflows");
  await expect(page.getByRole("heading", { name: "Workflows" })).toBeVisible();
  // Other tests add workflows too: the page shows exactly what the API lists, templates included.
  const listed = (await (await page.request.get("/api/trpc/workflow.list")).json()).result.data as unknown[];
  expect(listed.length).toBeGreaterThanOrEqual(TEMPLATES.length);
  await expect(page.getByTestId("workflow-item")).toHaveCount(listed.length);
  for (const template of TEMPLATES) {
    await expect(page.getByRole("link", { name: template.name })).toBeVisible();
  }
});

test("opening a seeded workflow draws its nodes on the canvas", async ({ page }) => {
  const template = TEMPLATES.find((t) => t.slug === "customer-onboarding")!;
  await page.goto("/workflows");
  await page.getByRole("link", { name: template.name }).click();
  await expect(page).toHaveURL(/\/workflows\/[^/]+$/);
  await expect(page.getByRole("heading", { level: 1, name: template.name })).toBeVisible();

  const canvas = page.getByTestId("workflow-canvas");
  await expect(canvas).toBeVisible();
  await expect(canvas.getByTestId("canvas-node")).toHaveCount(template.graph.nodes.length);
  for (const node of template.graph.nodes) {
    await expect(canvas.getByTestId("canvas-node").filter({ hasText: node.label })).toBeVisible();
  }
  // React Flow draws one path per edge.
  await expect(canvas.locator(".react-flow__edge")).toHaveCount(template.graph.edges.length);
});

test("an unknown workflow says so instead of drawing an empty canvas", async ({ page }) => {
  await page.goto("/workflows/no-such-workflow");
  await expect(page.getByRole("alert").filter({ hasText: "Workflow not found." })).toContainText("no workflow 'no-such-workflow'");
  await expect(page.getByTestId("workflow-canvas")).toHaveCount(0);
});
