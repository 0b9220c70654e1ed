import { expect, test, type Page } from "@playwright/test";
import { api, query } from "../support/browser-trpc";

// The coordinator as the operator meets it: the Intents page, "Try it" on a starter workflow,
// a request Keel is unsure about routed by hand, and support triage end to end with no LLM:
// the operator writes the answer on the form page, edits it at the approval, and the email in
// the outbox carries the edited text (no SMTP credential here).

async function pendingFor(page: Page, runId: string, nodeId: string): Promise<string> {
  let id: string | undefined;
  await expect
    .poll(async () => {
      const pending = (await query(page, "approval.pending")) as { id: string; runId: string; nodeId: string }[];
      id = pending.find((a) => a.runId === runId && a.nodeId === nodeId)?.id;
      return id;
    }, { timeout: 30_000 })
    .toBeDefined();
  return id!;
}

test.setTimeout(180_000);

test("intents: try a starter workflow, route an unsure request by hand, and support triage with no LLM mails the edited answer", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/intents");
  await expect(page.getByRole("heading", { level: 1, name: "Intents" })).toBeVisible();
  await page.screenshot({ path: "test-results/screenshots/intents-before.png", fullPage: true });

  // The starter workflows were published when Keel seeded them: each can be tried at once.
  const targets = page.getByTestId("intent-target");
  await expect(targets).toHaveCount(3);

  await page.getByRole("button", { name: "Try Support triage with its sample request" }).click();
  // The first request loads the embedder for memory (a few seconds on a busy machine).
  await expect(page.getByTestId("intent-result")).toContainText("Sent to Support triage: sent straight to 'Support triage' (Try it).", { timeout: 60_000 });
  const tried = page.getByTestId("intent-row").first();
  await expect(tried).toHaveAttribute("data-status", "routed");
  await expect(tried).toContainText("grace@example.com");
  await expect(tried).toContainText("direct 100 %");

  // Nothing like it was routed before and no rule or LLM: it waits for the operator.
  await page.getByLabel("What is it about?").fill("Zebra crossing paint: which colour lasts longest outdoors?");
  await page.getByLabel("Customer email (optional)").fill("painter@example.test");
  await page.getByRole("button", { name: "Route it" }).click();
  await expect(page.getByTestId("intent-result")).toContainText("Waiting in triage", { timeout: 30_000 });
  const item = page.getByTestId("triage-item");
  await expect(item).toHaveCount(1);
  await page.screenshot({ path: "test-results/screenshots/intents-triage.png", fullPage: true });
  await item.getByLabel("Send to").selectOption({ label: "Customer onboarding (onboarding)" });
  await item.getByRole("button", { name: "Route" }).click();
  await expect(page.getByTestId("triage-item")).toHaveCount(0, { timeout: 30_000 });
  await expect(page.getByText("Nothing waits for a decision.")).toBeVisible();
  await expect(page.getByTestId("intent-row").first()).toContainText("operator 100 %");

  // A rule routes the next such request by itself; one that does not parse is refused, named.
  await page.getByText("Routing rules").click();
  await page.getByRole("button", { name: "Add a rule" }).click();
  await page.getByLabel("Rule 1 name").fill("paint");
  await page.getByLabel("Rule 1 condition").fill("$contains(text, ");
  await page.getByLabel("Rule 1 label").fill("onboarding");
  await page.getByRole("button", { name: "Save rules" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "rules.0.when: is not a JSONata expression" })).toBeVisible();
  await page.getByLabel("Rule 1 condition").fill('$contains($lowercase(text), "paint")');
  await page.getByRole("button", { name: "Save rules" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await page.getByLabel("What is it about?").fill("More paint questions: is gloss better than matt?");
  await page.getByRole("button", { name: "Route it" }).click();
  await expect(page.getByTestId("intent-result")).toContainText("Sent to Customer onboarding: rule paint matched", { timeout: 30_000 });
  await page.screenshot({ path: "test-results/screenshots/intents-rules.png", fullPage: true });

  // The tried support request runs on the worker: no LLM, so the operator writes the answer.
  const intents = (await query(page, "intent.list", { limit: 100 })) as { items: { source: string; runId: string | null }[] };
  const runId = intents.items.find((i) => i.source === "try")!.runId!;
  const formId = await pendingFor(page, runId, "write");
  await page.goto(`/forms/${formId}`);
  await page.getByLabel("Answer").fill("We will refund one of the two charges.");
  await page.getByRole("button", { name: "Submit" }).click();
  await expect(page.getByTestId("form-state")).toHaveText("Submitted");

  const approvalId = await pendingFor(page, runId, "review");
  await api(page, "approval.decide", { approvalId, decision: "edit", data: { text: "EDITED: the second charge is refunded today." } });
  await expect.poll(async () => ((await query(page, "run.get", { id: runId })) as { status: string }).status, { timeout: 30_000 }).toBe("succeeded");

  await page.goto("/outbox");
  // Grace may have other mail by now (the request routed to onboarding above welcomes its sender):
  // exactly one answer to her request, and it carries the edited text.
  const mail = page.getByTestId("outbox-row").filter({ hasText: "grace@example.com" }).filter({ hasText: "Re: your request" });
  await expect(mail).toHaveCount(1);
  await expect(mail.getByRole("cell", { name: "Re: your request" })).toHaveAttribute("title", "EDITED: the second charge is refunded today.");
  await page.goto("/intents");
  await page.screenshot({ path: "test-results/screenshots/intents-after.png", fullPage: true });
});
