import { readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { AnyTRPCProcedure, AnyTRPCRouter } from "@trpc/server";

const APP_DIR = fileURLToPath(new URL("../../app", import.meta.url));

export interface AppRoute {
  /** The URL pattern, e.g. /workflows/[id]. */
  pattern: string;
  kind: "page" | "route";
  /** Dynamic segment names, in order. */
  params: string[];
}

/** Every page and route handler under app/, read from the file system like Next.js does. */
export function appRoutes(dir = APP_DIR): AppRoute[] {
  const routes: AppRoute[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      // Private folders (_x) are not routes.
      if (!entry.startsWith("_")) routes.push(...appRoutes(path));
      continue;
    }
    const kind = /^page\.tsx?$/.test(entry) ? "page" : /^route\.tsx?$/.test(entry) ? "route" : undefined;
    if (!kind) continue;
    const segments = relative(APP_DIR, dir)
      .split(sep)
      .filter((s) => s !== "" && !/^\(.*\)$/.test(s)); // route groups do not appear in the URL
    routes.push({
      pattern: `/${segments.join("/")}`,
      kind,
      params: segments.filter((s) => s.startsWith("[")).map((s) => s.replace(/^\[+\.{0,3}|\]+$/g, "")),
    });
  }
  return routes.sort((a, b) => a.pattern.localeCompare(b.pattern));
}

/** Fills dynamic segments, e.g. /workflows/[id] with { id: "abc" }. */
export function fillRoute(pattern: string, values: Record<string, string>): string {
  return pattern.replace(/\[+\.{0,3}([^\]]+)\]+/g, (_, name: string) => encodeURIComponent(values[name] ?? "probe"));
}

export interface ProcedureInfo {
  path: string;
  type: "query" | "mutation" | "subscription";
  access: "public" | "operator" | undefined;
}

/** Every procedure of a tRPC router, with its declared access. */
export function procedures(router: AnyTRPCRouter): ProcedureInfo[] {
  return Object.entries(router._def.procedures as Record<string, AnyTRPCProcedure>).map(([path, procedure]) => ({
    path,
    type: procedure._def.type,
    access: (procedure._def.meta as { access?: "public" | "operator" } | undefined)?.access,
  }));
}
