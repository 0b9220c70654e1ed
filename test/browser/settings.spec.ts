import { expect, test } from "@playwright/test";

test("an API token is shown once, works, and stops working when revoked", async ({ page }) => {
  await page.goto("/settings");
  await page.getByLabel("Name", { exact: true }).fill("browser test token");
  await page.getByRole("button", { name: "Create token" }).click();
  const shown = page.getByTestId("new-token");
  await expect(shown).toContainText("browser test token");
  const token = (await shown.locator("code").textContent())!.trim();
  expect(token).toMatch(/^keel_/);

  const withToken = { headers: { authorization: `Bearer ${token}` } };
  expect((await page.request.fetch("/api/trpc/workflow.list", { ...withToken, headers: { ...withToken.headers, cookie: "" } })).status()).toBe(200);

  // After a reload the token is not shown again; only its prefix is listed.
  await page.reload();
  await expect(page.getByTestId("new-token")).toHaveCount(0);
  const row = page.getByTestId("token-table").getByRole("row").filter({ hasText: "browser test token" });
  await expect(row).toContainText(token.slice(0, 11));
  await expect(row).not.toContainText(token);
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row).toContainText("revoked");
  expect((await page.request.fetch("/api/trpc/workflow.list", { headers: { ...withToken.headers, cookie: "" } })).status()).toBe(401);
});

test("the retention period can be changed, and the change is in the audit log", async ({ page }) => {
  await page.goto("/settings");
  const days = page.getByLabel("Keep run payloads for");
  await expect(days).toHaveValue("90");
  await days.fill("45");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Keep run payloads for")).toHaveValue("45");
  await page.goto("/audit");
  await expect(page.getByTestId("audit-row").filter({ hasText: "settings.update" }).first()).toContainText("runPayloadDays: 45");
});

test("the engine's global switch pauses and resumes all work", async ({ page }) => {
  await page.goto("/settings");
  await expect(page.getByTestId("engine-state")).toHaveText("Runs are being worked.");
  await page.getByRole("button", { name: "Pause all work" }).click();
  await expect(page.getByTestId("engine-state")).toHaveText("All work is paused.");
  await page.reload();
  await expect(page.getByTestId("engine-state")).toHaveText("All work is paused.");
  await page.getByRole("button", { name: "Resume all work" }).click();
  await expect(page.getByTestId("engine-state")).toHaveText("Runs are being worked.");
});

test("an SMTP credential is saved without ever showing its password again", async ({ page }) => {
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "New SMTP credential" });
  await form.getByLabel("Name (used in email steps)").fill("mail-test");
  await form.getByLabel("SMTP host").fill("127.0.0.1");
  await form.getByLabel("Port").fill("2525");
  await form.getByLabel("User").fill("keel");
  await form.getByLabel("Password").fill("browser-secret-password");
  await form.getByLabel("From").fill("Keel <ops@example.test>");
  await form.getByRole("button", { name: "Save SMTP credential" }).click();
  const row = page.getByTestId("credential-table").getByRole("row").filter({ hasText: "mail-test" });
  await expect(row).toContainText("smtp");
  await page.reload();
  await expect(page.locator("body")).not.toContainText("browser-secret-password");
  const listed = await (await page.request.get("/api/trpc/credential.list")).text();
  expect(listed).toContain("mail-test");
  expect(listed).not.toContain("browser-secret-password");
  await page.getByTestId("credential-table").getByRole("row").filter({ hasText: "mail-test" }).getByRole("button", { name: "Delete" }).click();
  await expect(page.getByTestId("credential-table").getByRole("row").filter({ hasText: "mail-test" })).toHaveCount(0);
});

test("a workflow's email without a credential shows on the email page as not sent, as text", async ({ page }) => {
  await page.goto("/");
  const call = async (path: string, input: unknown) => {
    const response = await page.request.post(`/api/trpc/${path}`, { data: input, headers: { "x-keel-csrf": "1" } });
    expect(response.ok(), await response.text()).toBe(true);
    return (await response.json()).result.data;
  };
  const subject = `<img src=x onerror="window.__xss=1" data-xss> Welcome ${Date.now()}`;
  const graph = {
    schemaVersion: 1,
    nodes: [
      { id: "start", type: "trigger.manual", typeVersion: 1, label: "", position: { x: 0, y: 0 }, config: {} },
      { id: "mail", type: "email.send", typeVersion: 1, label: "", position: { x: 1, y: 0 }, config: { to: "{{ input.email }}", subject: "{{ input.subject }}", text: "hi" } },
      { id: "done", type: "flow.end", typeVersion: 1, label: "", position: { x: 2, y: 0 }, config: {} },
    ],
    edges: [
      { id: "e1", source: "start", sourcePort: "out", target: "mail", targetPort: "in" },
      { id: "e2", source: "mail", sourcePort: "out", target: "done", targetPort: "in" },
    ],
  };
  const wf = await call("workflow.create", { name: "Outbox mail", graph });
  await call("workflow.publish", { id: wf.id });
  await call("run.start", { workflow: wf.id, input: { email: "ada@example.test", subject } });

  await expect(async () => {
    await page.goto("/outbox");
    await expect(page.getByTestId("outbox-row").filter({ hasText: subject })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  const row = page.getByTestId("outbox-row").filter({ hasText: subject });
  await expect(row).toContainText("not sent");
  await expect(row).toContainText("ada@example.test");
  expect(await page.locator("[data-xss]").count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
});

test("the LLM settings: endpoint state, a default model and a price table, validated and saved", async ({ page }) => {
  await page.goto("/settings");
  await expect(page.getByTestId("llm-endpoint")).toContainText("No endpoint is configured: set one below");
  const form = page.getByRole("form", { name: "LLM settings" });
  await form.getByLabel("Default model (for LLM steps that name none)").fill("llama3.1");
  await form.getByRole("button", { name: "Add a model price" }).click();
  await form.getByLabel("Model 1").fill("llama3.1");
  await form.getByLabel("Input price 1").fill("-1");
  await form.getByLabel("Output price 1").fill("0.6");
  await form.getByRole("button", { name: "Save LLM settings" }).click();
  await expect(page.locator(".form-error[role=alert]")).toHaveText("prices.llama3.1.input: must not be negative");
  await form.getByLabel("Input price 1").fill("0.15");
  await form.getByRole("button", { name: "Save LLM settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "LLM settings saved." })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Default model (for LLM steps that name none)")).toHaveValue("llama3.1");
  await expect(page.getByLabel("Input price 1")).toHaveValue("0.15");
  await expect(page.getByLabel("Output price 1")).toHaveValue("0.6");
});

test("the egress allowlist is validated per entry, saved and audited", async ({ page }) => {
  await page.goto("/settings");
  const entries = page.getByLabel("Allowed destinations");
  await expect(entries).toHaveValue("");
  await entries.fill("10.0.0.0/8\napi.internal:99999");
  await page.getByRole("button", { name: "Save allowlist" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "api.internal:99999" })).toContainText("the port must be between 1 and 65535");
  await entries.fill("10.0.0.0/8\n*.corp.example\n127.0.0.1:8080");
  await page.getByRole("button", { name: "Save allowlist" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Allowed destinations")).toHaveValue("10.0.0.0/8\n*.corp.example\n127.0.0.1:8080");
  await page.goto("/audit");
  await expect(page.getByTestId("audit-row").filter({ hasText: "egress.allowlist" }).first()).toBeVisible();
});

test("an API credential with a rate limit is saved without showing its token again", async ({ page }) => {
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "New API credential" });
  await form.getByLabel("Name (used as auth.credential in HTTP request steps)").fill("shop-api");
  await form.getByLabel("Kind").selectOption("header");
  await form.getByLabel("Header name").fill("X-Api-Key");
  await form.getByLabel("Header value").fill("browser-api-key-value");
  await form.getByLabel("Rate limit: burst (optional)").fill("10");
  await form.getByLabel("Rate limit: requests per second (optional)").fill("2");
  await form.getByRole("button", { name: "Save API credential" }).click();
  const row = page.getByTestId("credential-table").getByRole("row").filter({ hasText: "shop-api" });
  await expect(row).toContainText("header");
  await expect(row).toContainText("10 burst, 2/s");
  await page.reload();
  await expect(page.locator("body")).not.toContainText("browser-api-key-value");
  const listed = await (await page.request.get("/api/trpc/credential.list")).text();
  expect(listed).toContain("shop-api");
  expect(listed).not.toContain("browser-api-key-value");
});
