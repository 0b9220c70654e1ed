import { GRAPH_SCHEMA_VERSION } from "./schema";
import type { Problem } from "./problems";

// Graph documents carry a schemaVersion. Older versions are upgraded here, step by step, when
// they are loaded; a newer version than this Keel knows is refused with a message saying so.
// Version 1 is the first published format, so there is no upgrade step yet: when version 2
// arrives, add `1: (doc) => …v2 doc` and the test that feeds a v1 document through it.
const UPGRADES: Record<number, (doc: Record<string, unknown>) => Record<string, unknown>> = {};

export type UpgradeResult = { ok: true; graph: unknown; from: number } | { ok: false; problem: Problem };

export function upgradeGraph(raw: unknown): UpgradeResult {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return { ok: false, problem: { path: "(root)", code: "invalid_format", message: "A graph must be a JSON object with schemaVersion, nodes and edges." } };
  }
  let doc = raw as Record<string, unknown>;
  const version = doc.schemaVersion;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
    // "from 1 to 1" read oddly while there is one version.
    const allowed = GRAPH_SCHEMA_VERSION === 1 ? "1" : `a whole number from 1 to ${GRAPH_SCHEMA_VERSION}`;
    const got = version === undefined ? "it is missing" : `not ${JSON.stringify(version)}`;
    return { ok: false, problem: { path: "schemaVersion", code: "invalid_format", message: `must be ${allowed}, the graph format version this Keel reads (${got}).` } };
  }
  if (version > GRAPH_SCHEMA_VERSION) {
    return {
      ok: false,
      problem: {
        path: "schemaVersion",
        code: "unsupported_schema_version",
        message: `This graph uses schemaVersion ${version}, newer than this Keel understands (${GRAPH_SCHEMA_VERSION}); upgrade Keel to open it.`,
      },
    };
  }
  for (let v = version; v < GRAPH_SCHEMA_VERSION; v++) {
    const step = UPGRADES[v];
    if (!step) return { ok: false, problem: { path: "schemaVersion", code: "unsupported_schema_version", message: `No upgrade from schemaVersion ${v}.` } };
    doc = step(doc);
  }
  return { ok: true, graph: doc, from: version };
}
