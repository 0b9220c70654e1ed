import { expect, test } from "@playwright/test";
import { api } from "../support/browser-trpc";

test("a waiting approval shows up in the notifications, unread first, with a count in the nav", async ({ page }) => {
  await page.goto("/");
  const wf = await api(page, "workflow.create", {
    name: "Refund desk",
    graph: {
      schemaVersion: 1,
      nodes: [
        { id: "start", type: "trigger.manual", typeVersion: 1, label: "Start", position: { x: 0, y: 0 }, config: {} },
        { id: "ask", type: "human.approval", typeVersion: 1, label: "Ask", position: { x: 200, y: 0 }, config: { title: "Refund order {{ input.order }}?", deadline: "P1D" } },
        { id: "done", type: "flow.end", typeVersion: 1, label: "Done", position: { x: 400, y: 0 }, config: {} },
      ],
      edges: [
        { id: "e1", source: "start", sourcePort: "out", target: "ask", targetPort: "in" },
        { id: "e2", source: "ask", sourcePort: "approved", target: "done", targetPort: "in" },
      ],
    },
  });
  await api(page, "workflow.publish", { id: wf.id });
  const run = await api(page, "run.start", { workflow: wf.id, input: { order: "A-1017" } });
  await api(page, "run.start", { workflow: wf.id, input: { order: "A-1018" } });

  await page.goto("/notifications");
  const item = page.getByTestId("notification").filter({ hasText: "Approval needed: Refund order A-1017?" });
  await expect(async () => {
    await page.reload();
    await expect(item).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  const pending = (await (await page.request.get("/api/trpc/approval.pending")).json()).result.data as { id: string; runId: string }[];
  const approvalId = pending.find((a) => a.runId === run.id)!.id;
  await expect(item.getByRole("link", { name: "Approval needed: Refund order A-1017?" })).toHaveAttribute("href", `/approvals/${approvalId}`);
  await expect(item).toHaveAttribute("data-unread", "true");
  await expect(page.getByTestId("unread-count")).toBeVisible();
  const other = page.getByTestId("notification").filter({ hasText: "Approval needed: Refund order A-1018?" });
  await expect(async () => {
    await page.reload();
    await expect(other).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });

  await item.getByRole("button", { name: "Mark read" }).click();
  await expect(item).not.toHaveAttribute("data-unread", "true");
  await expect(item.getByRole("button", { name: "Mark read" })).toHaveCount(0);
  // Read ones come after every unread one.
  const flags = await page.getByTestId("notification").evaluateAll((items) => items.map((el) => el.getAttribute("data-unread") === "true"));
  expect(flags.indexOf(false) === -1 || flags.slice(flags.indexOf(false)).every((unread) => !unread)).toBe(true);

  await expect(other).toHaveAttribute("data-unread", "true");
  await page.getByRole("button", { name: "Mark all read" }).click();
  await expect(other).not.toHaveAttribute("data-unread", "true");
  await expect(page.getByTestId("unread-count")).toHaveCount(0);
  await expect(page.locator('[data-testid="notification"][data-unread="true"]')).toHaveCount(0);
});

test("the operator's email for notifications is checked and saved in Settings", async ({ page }) => {
  await page.goto("/settings");
  const panel = page.getByRole("region", { name: "Notifications by email" });
  await panel.getByLabel("Operator email").fill("not an address");
  await panel.getByRole("button", { name: "Save email settings" }).click();
  await expect(panel.getByRole("alert")).toContainText("operatorEmail");
  await panel.getByLabel("Operator email").fill("owner@example.test");
  await panel.getByLabel("SMTP credential (name)").fill("no-such-credential");
  await panel.getByRole("button", { name: "Save email settings" }).click();
  await expect(panel.getByRole("alert")).toContainText("smtpCredential: no credential named 'no-such-credential'");
  await panel.getByLabel("SMTP credential (name)").fill("");
  await panel.getByRole("button", { name: "Save email settings" }).click();
  await expect(panel.getByRole("status")).toHaveText("Saved.");
  await page.reload();
  await expect(panel.getByLabel("Operator email")).toHaveValue("owner@example.test");
});
