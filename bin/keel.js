#!/usr/bin/env node
// The `keel` command. Keel is written in TypeScript and runs through tsx, so there is no
// separate compile step between `npm install` and `npm start`.
import { register } from "tsx/esm/api";

register();
await import("../server/cli/main.ts");
