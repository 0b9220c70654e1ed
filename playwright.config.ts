import { defineConfig } from "@playwright/test";

// Driven by scripts/run-browser-tests.js, which finds a Chromium, picks a free port and a fresh
// data directory, and passes them in; the app under test is the built app started by `keel start`.
const port = Number(process.env.KEEL_E2E_PORT ?? 3210);
const dataDir = process.env.KEEL_E2E_DATA_DIR ?? "./data/e2e";
const executablePath = process.env.KEEL_E2E_CHROMIUM;
export const E2E_PASSWORD = "browser tests only, long enough";
export const OPERATOR_STATE = "test-results/.auth/operator.json";

export default defineConfig({
  testDir: "test/browser",
  fullyParallel: false,
  workers: 1,
  forbidOnly: true,
  retries: 0,
  reporter: [["list"]],
  timeout: 60_000,
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    launchOptions: {
      ...(executablePath ? { executablePath } : {}),
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    // Signs in once through the real sign-in page; the other tests reuse its cookie.
    { name: "sign-in", testMatch: /sign-in\.setup\.ts/, use: { browserName: "chromium" } },
    { name: "chromium", dependencies: ["sign-in"], use: { browserName: "chromium", storageState: OPERATOR_STATE } },
  ],
  webServer: {
    command: "node bin/keel.js start",
    url: `http://127.0.0.1:${port}/api/trpc/health`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGINT", timeout: 15_000 },
    env: { PORT: String(port), HOST: "127.0.0.1", KEEL_DATA_DIR: dataDir, KEEL_PASSWORD: E2E_PASSWORD, NEXT_TELEMETRY_DISABLED: "1" },
  },
});
