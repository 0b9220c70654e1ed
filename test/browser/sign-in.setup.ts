import { expect, test as setup } from "@playwright/test";
import { E2E_PASSWORD, OPERATOR_STATE } from "../../playwright.config";

setup("sign in as the operator", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel("Password").fill(E2E_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  await page.context().storageState({ path: OPERATOR_STATE });
});
