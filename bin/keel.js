#!/usr/bin/env node
// The `keel` command. Keel is written in TypeScript; there is no separate compile step between
// `npm install` and `npm start`: the CLI is bundled on first use and reused until its sources
// change (bin/cli-bundle.js), and runs through tsx where it cannot be bundled.
import { pathToFileURL } from "node:url";
import { cliEntry } from "./cli-bundle.js";

const entry = await cliEntry();
if (entry) {
  // Stack traces name the TypeScript files, as they did under tsx. Not in `keel start`'s web
  // server: Next's server chunks ship source maps as well, and Node would parse and hold every
  // one it loads (about 80 MB for as long as the server runs), which `next start` never does.
  if (process.argv[2] !== "serve-web") process.setSourceMapsEnabled(true);
  await import(pathToFileURL(entry).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../server/cli/main.ts");
}
