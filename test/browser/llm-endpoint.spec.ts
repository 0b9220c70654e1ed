import { expect, test } from "@playwright/test";
import { startOpenAIServer, type OpenAIServer } from "../support/openai-server";

// The LLM endpoint set on the Settings page against a local OpenAI-compatible server started by
// the test: a wrong key is reported next to the key field, the right one connects, and after
// saving the key shows only as "set". The endpoint is removed again so other tests see none.

const API_KEY = "sk-keel-browser-3e1f5a7c9b";
let server: OpenAIServer;

test.beforeAll(async () => {
  server = await startOpenAIServer({ apiKey: API_KEY });
});
test.afterAll(async () => {
  await server.close();
});

test("the LLM endpoint is saved from Settings, tested against a local server, and the key is never shown", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto("/settings");
  const form = page.getByRole("form", { name: "LLM endpoint" });
  await expect(form.getByTestId("llm-key-state")).toHaveText("not set");

  await form.getByLabel("Base URL").fill("not a url");
  await form.getByRole("button", { name: "Save endpoint" }).click();
  await expect(form.locator("#llm-baseUrl-error")).toContainText("must be an http:// or https:// URL");

  await form.getByLabel("Base URL").fill(server.baseURL);
  await form.getByLabel(/API key/).fill("sk-wrong");
  await form.getByRole("button", { name: "Test connection" }).click();
  await expect(form.locator("#llm-apiKey-error")).toContainText("refused the API key (401)");
  await expect(form.getByLabel(/API key/)).toHaveAttribute("aria-invalid", "true");

  await form.getByLabel(/API key/).fill(API_KEY);
  await form.getByRole("button", { name: "Save endpoint" }).click();
  await expect(form.getByTestId("llm-connection")).toHaveText("Endpoint saved.");
  await expect(form.getByTestId("llm-key-state")).toHaveText("set");
  await expect(page.getByTestId("llm-endpoint")).toContainText(`Endpoint: ${new URL(server.baseURL).host}, with an API key (from Settings).`);

  // The key field is write-only: empty after saving; the test then uses the stored key.
  await expect(form.getByLabel(/API key/)).toHaveValue("");
  await form.getByRole("button", { name: "Test connection" }).focus();
  await page.keyboard.press("Enter");
  await expect(form.getByTestId("llm-connection")).toContainText(`Connected to ${new URL(server.baseURL).host}`);
  await expect(page.locator("body")).not.toContainText(API_KEY);

  // With no default model, LLM steps that name none would fail: the page says so and offers
  // the server's own models, one press each. (The default model is put back afterwards.)
  const defaultModel = page.getByLabel("Default model (for LLM steps that name none)");
  const previousModel = await defaultModel.inputValue();
  if (previousModel) {
    await defaultModel.fill("");
    await page.getByRole("button", { name: "Save LLM settings" }).click();
    await expect(page.getByText("LLM settings saved.")).toBeVisible();
  }
  await expect(page.getByTestId("llm-no-default-model")).toBeVisible();
  await form.getByRole("button", { name: "Test connection" }).click();
  const pick = form.getByTestId("llm-pick-model");
  await expect(pick.getByRole("button")).toHaveText(["gpt-4o-mini", "keel-chat", "text-embedding-3-small", "keel-embed"]);
  await page.screenshot({ path: "test-results/screenshots/settings-llm-endpoint-1280.png", fullPage: true });
  await pick.getByRole("button", { name: "keel-chat" }).click();
  await expect(defaultModel).toHaveValue("keel-chat");
  await expect(pick).toHaveCount(0);
  await expect(page.getByTestId("llm-no-default-model")).toHaveCount(0);
  await defaultModel.fill(previousModel);
  await page.getByRole("button", { name: "Save LLM settings" }).click();
  await expect(page.getByText("LLM settings saved.")).toBeVisible();

  await page.reload();
  await expect(page.getByRole("form", { name: "LLM endpoint" }).getByLabel("Base URL")).toHaveValue(server.baseURL);
  expect(await page.content()).not.toContain(API_KEY);

  // Leave no endpoint behind for the other browser tests.
  await page.getByRole("form", { name: "LLM endpoint" }).getByLabel("Base URL").fill("");
  await page.getByRole("form", { name: "LLM endpoint" }).getByRole("button", { name: "Save endpoint" }).click();
  await expect(page.getByTestId("llm-endpoint")).toContainText("No endpoint is configured");
  await expect(page.getByRole("form", { name: "LLM endpoint" }).getByTestId("llm-key-state")).toHaveText("not set");
});
