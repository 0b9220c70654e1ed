// `npm run test:browser`: finds a Chromium by itself, then runs Playwright against the built app.
// Order: CHROMIUM_PATH, the system's Chromium, Playwright's own (fetched on first use where the
// network allows). Without any, it fails with a one-line hint; it never skips.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const HINT =
  "npm test: no Chromium for the browser tests. Install one (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium/Chrome binary.";

function playwrightChromium() {
  try {
    return spawnSync(process.execPath, ["-e", "console.log(require('playwright-core').chromium.executablePath())"], {
      encoding: "utf8",
    }).stdout.trim();
  } catch {
    return "";
  }
}

function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) {
      console.error(`npm test: CHROMIUM_PATH=${fromEnv} does not exist.`);
      process.exit(1);
    }
    return fromEnv;
  }
  for (const candidate of ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"]) {
    if (existsSync(candidate)) return candidate;
  }
  let own = playwrightChromium();
  if (own && existsSync(own)) return own;
  console.log("npm test: no system Chromium found; trying to download Playwright's own…");
  const install = spawnSync("npx", ["playwright", "install", "chromium"], { stdio: "inherit", timeout: 300_000 });
  own = playwrightChromium();
  if (install.status === 0 && own && existsSync(own)) return own;
  console.error(HINT);
  process.exit(1);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const chromium = findChromium();
const dataDir = mkdtempSync(join(tmpdir(), "keel-e2e-"));
const port = await freePort();
console.log(`browser tests: Chromium ${chromium}, app on 127.0.0.1:${port}, data in ${dataDir}`);
const result = spawnSync("npx", ["playwright", "test", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, KEEL_E2E_CHROMIUM: chromium, KEEL_E2E_PORT: String(port), KEEL_E2E_DATA_DIR: dataDir },
});
rmSync(dataDir, { recursive: true, force: true });
process.exit(result.status ?? 1);
