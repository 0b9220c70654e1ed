import { expect, type Page } from "@playwright/test";

// The browser tests' own calls to Keel's tRPC API, with the page's signed-in cookie: set-up
// through the API so each test drives the page only for what it is about. A refused call fails
// the test with the server's answer.

/** A mutation (POST, with the CSRF header the API asks of browsers). */
export async function api(page: Page, path: string, input?: unknown) {
  const response = await page.request.post(`/api/trpc/${path}`, { data: input ?? {}, headers: { "x-keel-csrf": "1" } });
  expect(response.ok(), `${path}: ${await response.text()}`).toBe(true);
  return (await response.json()).result.data;
}

/** A query (GET, the input in `?input=`). */
export async function query(page: Page, path: string, input?: unknown) {
  const response = await page.request.get(`/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`);
  expect(response.ok(), `${path}: ${await response.text()}`).toBe(true);
  return (await response.json()).result.data;
}
