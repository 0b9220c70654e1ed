import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", ".next/**", "test/browser/**", "data/**"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Vitest's default on a 2-core machine is one file at a time; most integration files spend
    // their time waiting on child processes, timers and sockets, so two at a time share the cores.
    maxWorkers: 2,
  },
});
