import { expect, test } from "@playwright/test";
import { E2E_PASSWORD } from "../../playwright.config";

test.describe("signed out", () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test("a wrong password says so, and the right one returns to the page asked for", async ({ page }) => {
    await page.goto("/audit");
    await expect(page).toHaveURL(/\/login\?next=%2Faudit$/);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "Wrong password." })).toBeVisible();
    await page.getByLabel("Password").fill(E2E_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/audit$/);
    await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
    // The failed and the successful sign-in are both in the audit log.
    await expect(page.getByTestId("audit-row").filter({ hasText: "auth.login_failed" }).first()).toBeVisible();
  });

  for (const next of ["//evil.example/steal", "/%09/evil.example/x", "/%0a/evil.example/x", "/%5Cevil.example/x"]) {
    test(`a next= pointing off-site (${next}) is ignored after signing in`, async ({ page }) => {
      await page.goto(`/login?next=${next}`);
      await page.getByLabel("Password").fill(E2E_PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    });
  }

  test("signing out ends the session", async ({ page }) => {
    await page.goto("/login");
    await page.getByLabel("Password").fill(E2E_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
    const cookie = (await page.context().cookies()).find((c) => c.name === "keel_session")!;
    expect(cookie.httpOnly).toBe(true);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login$/);
    // The old cookie no longer opens anything.
    const response = await page.request.get("/api/trpc/workflow.list", { headers: { cookie: `keel_session=${cookie.value}` } });
    expect(response.status()).toBe(401);
  });
});
