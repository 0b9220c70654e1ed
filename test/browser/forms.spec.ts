import { expect, test, type Page } from "@playwright/test";
import { api } from "../support/browser-trpc";

/** A published workflow whose run waits at a form, and that form's id (once the worker got there). */
async function pendingForm(page: Page, name: string): Promise<{ formId: string; runId: string }> {
  const graph = {
    schemaVersion: 1,
    nodes: [
      { id: "start", type: "trigger.manual", typeVersion: 1, label: "Start", position: { x: 0, y: 0 }, config: {} },
      {
        id: "details",
        type: "human.form",
        typeVersion: 1,
        label: "Details",
        position: { x: 200, y: 0 },
        config: {
          title: "Shipping for {{ input.name }}",
          instructions: "Where should it go?",
          fields: [
            { name: "address", label: "Address", type: "textarea", required: true, help: "Street, city, postcode" },
            { name: "seats", label: "Seats", type: "number", required: true, default: 1 },
            { name: "speed", label: "Speed", type: "select", options: ["standard", "express"], default: "standard" },
            { name: "insured", label: "Insure it", type: "boolean" },
          ],
        },
      },
      { id: "done", type: "flow.end", typeVersion: 1, label: "Done", position: { x: 400, y: 0 }, config: {} },
    ],
    edges: [
      { id: "e1", source: "start", sourcePort: "out", target: "details", targetPort: "in" },
      { id: "e2", source: "details", sourcePort: "submitted", target: "done", targetPort: "in" },
    ],
  };
  const wf = await api(page, "workflow.create", { name, graph });
  await api(page, "workflow.publish", { id: wf.id });
  const run = await api(page, "run.start", { workflow: wf.id, input: { name: "Ada" } });
  let formId: string | undefined;
  await expect
    .poll(async () => {
      const response = await page.request.get(`/api/trpc/approval.pending`);
      const pending = (await response.json()).result.data as { id: string; runId: string }[];
      formId = pending.find((a) => a.runId === run.id)?.id;
      return formId;
    })
    .toBeDefined();
  return { formId: formId!, runId: run.id };
}

test("a pending form is filled in: a wrong value is named, a right one resumes the run", async ({ page }) => {
  await page.goto("/");
  const { formId, runId } = await pendingForm(page, "Ship an order");
  await page.goto(`/forms/${formId}`);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Shipping for Ada");
  await expect(page.getByTestId("form-state")).toHaveText("Waiting for you");
  await expect(page.getByText("Street, city, postcode")).toBeVisible();
  await expect(page.getByLabel("Seats")).toHaveValue("1");

  // Required address left empty: the server refuses it and names the field.
  await page.getByRole("button", { name: "Submit" }).click();
  await expect(page.getByTestId("form-error")).toHaveText("values.address: is required (Address)");

  await page.getByLabel("Address").fill("1 Main St, Springfield");
  await page.getByLabel("Seats").fill("3");
  await page.getByLabel("Speed").selectOption("express");
  await page.getByLabel("Insure it").check();
  await page.getByRole("button", { name: "Submit" }).click();
  await expect(page.getByTestId("form-state")).toHaveText("Submitted");
  await expect(page.getByTestId("value-seats")).toHaveText("3");
  await expect(page.getByTestId("value-speed")).toHaveText("express");

  await expect
    .poll(async () => (await (await page.request.get(`/api/trpc/run.get?input=${encodeURIComponent(JSON.stringify({ id: runId }))}`)).json()).result.data.status)
    .toBe("succeeded");
  const run = (await (await page.request.get(`/api/trpc/run.get?input=${encodeURIComponent(JSON.stringify({ id: runId }))}`)).json()).result.data;
  expect(run.output.details).toEqual({ address: "1 Main St, Springfield", seats: 3, speed: "express", insured: true });
});

test("a form of a cancelled run shows that, with nothing to submit", async ({ page }) => {
  await page.goto("/");
  const { formId, runId } = await pendingForm(page, "Cancelled shipping");
  await api(page, "run.control", { id: runId, action: "cancel" });
  await page.goto(`/forms/${formId}`);
  await expect(page.getByTestId("form-state")).toHaveText("The run was cancelled");
  await expect(page.getByRole("button", { name: "Submit" })).toHaveCount(0);
});
