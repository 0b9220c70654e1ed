import { expect, type Page } from "@playwright/test";

/** Lets HTTP request steps of the app under test reach a peer on this machine, keeping what the allowlist already has. */
export async function allowPeer(page: Page, url: string) {
  const response = await page.request.get("/api/trpc/settings.egressAllowlist");
  expect(response.ok(), await response.text()).toBe(true);
  const current = (await response.json()).result.data as { entries: string[] };
  const saved = await page.request.post("/api/trpc/settings.saveEgressAllowlist", { data: { entries: [...current.entries, new URL(url).host] }, headers: { "x-keel-csrf": "1" } });
  expect(saved.ok(), await saved.text()).toBe(true);
}
