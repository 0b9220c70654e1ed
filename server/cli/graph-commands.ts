import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileGraph, graphJsonSchema, validateGraph, type Problem } from "../../engine/graph";
import { ValidationError } from "../../engine/errors";
import { registry } from "../../nodes/catalog";
import { EXPORT_FORMAT } from "../services/publishing";
import { slugify } from "../services/workflows";
import { withServices } from "./with-services";

// keel validate | compile | schema | publish | import | export: the graph format from the terminal.

function readJson(file: string): unknown {
  if (!existsSync(file)) throw new ValidationError(`${file}: no such file`);
  if (statSync(file).isDirectory()) throw new ValidationError(`${file}: is a directory; give a graph or workflow file`);
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ValidationError(`${file}: not valid JSON (${(error as Error).message})`);
  }
}

/** A file holds either a bare graph or an exported workflow (which wraps one). */
function graphOf(doc: unknown): unknown {
  const wrapped = doc as { format?: unknown; graph?: unknown } | null;
  return wrapped && typeof wrapped === "object" && wrapped.format === EXPORT_FORMAT ? wrapped.graph : doc;
}

export function formatProblem(p: Problem): string {
  const where = p.nodeId ? `node ${p.nodeId}` : p.edgeId ? `edge ${p.edgeId}` : "graph";
  return `${where} at ${p.path}: ${p.message} [${p.code}]`;
}

/** `keel validate DIR`: every .json file in the directory (not its subdirectories), each named. */
function validateDirectory(dir: string): number {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith(".json") && statSync(join(dir, name)).isFile())
    .sort();
  if (files.length === 0) throw new ValidationError(`${dir}: a directory with no .json files; give a graph or workflow file`);
  let invalid = 0;
  for (const name of files) {
    const path = join(dir, name);
    try {
      if (validateCommand(path) !== 0) invalid++;
    } catch (error) {
      // One unreadable file does not hide the others' results.
      console.error(`keel: ${error instanceof Error ? error.message : String(error)}`);
      invalid++;
    }
  }
  const total = `${files.length} file${files.length === 1 ? "" : "s"}`;
  if (invalid) console.error(`keel: ${dir}: ${invalid} of ${total} ${invalid === 1 ? "is" : "are"} not valid`);
  else console.log(`${dir}: all ${total} valid`);
  return invalid ? 1 : 0;
}

export function validateCommand(file: string): number {
  if (existsSync(file) && statSync(file).isDirectory()) return validateDirectory(file);
  const result = validateGraph(graphOf(readJson(file)), registry);
  if (!result.ok) {
    for (const problem of result.problems) console.log(formatProblem(problem));
    console.error(`keel: ${file}: ${result.problems.length} problem${result.problems.length === 1 ? "" : "s"}`);
    return 1;
  }
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  console.log(`${file}: valid (${count(result.graph.nodes.length, "node")}, ${count(result.graph.edges.length, "edge")})`);
  return 0;
}

export function compileCommand(file: string): number {
  const result = validateGraph(graphOf(readJson(file)), registry);
  if (!result.ok) {
    for (const problem of result.problems) console.error(formatProblem(problem));
    return 1;
  }
  process.stdout.write(`${JSON.stringify(compileGraph(result.graph, registry), null, 2)}\n`);
  return 0;
}

export function schemaCommand(): number {
  process.stdout.write(`${JSON.stringify(graphJsonSchema(registry), null, 2)}\n`);
  return 0;
}

export function importCommand(file: string): Promise<number> {
  return withServices(async (services) => {
    const imported = await services.publishing.importWorkflow(readJson(file), "cli");
    console.log(`keel: imported '${imported.slug}' (${imported.id})`);
    for (const problem of imported.problems) console.log(`  to fix before publishing: ${formatProblem(problem)}`);
    return 0;
  });
}

export function exportCommand(ref: string, out: string | undefined): Promise<number> {
  return withServices(async (services) => {
    const file = `${JSON.stringify(await services.publishing.exportWorkflow(ref), null, 2)}\n`;
    if (out) {
      writeFileSync(out, file);
      console.error(`keel: wrote ${out}`);
    } else process.stdout.write(file);
    return 0;
  });
}

/**
 * `keel publish FILE|ID`: a file updates the workflow with the same slug (or creates it) and
 * publishes it; an id or slug publishes that workflow's current draft.
 */
export function publishCommand(ref: string, notes: string | undefined, say: (line: string) => void = console.log): Promise<number> {
  return withServices(async (services) => {
    let id = ref;
    if (existsSync(ref)) {
      const doc = readJson(ref) as { format?: string; name?: string; slug?: string; description?: string; graph?: unknown };
      if (doc?.format !== EXPORT_FORMAT) throw new ValidationError(`${ref}: format: must be "${EXPORT_FORMAT}" (use keel export to make one)`);
      const slug = doc.slug ?? slugify(String(doc.name ?? ""));
      const existing = (await services.workflows.list()).find((w) => w.slug === slug);
      if (existing) {
        await services.workflows.saveDraft({ id: existing.id, graph: doc.graph, name: doc.name, description: doc.description }, "cli");
        id = existing.id;
      } else {
        id = (await services.publishing.importWorkflow(doc, "cli")).id;
      }
    }
    const version = await services.publishing.publish({ id, notes }, "cli");
    say(
      version.unchanged
        ? `keel: nothing changed; version ${version.number} stays current (${version.hash.slice(0, 12)})`
        : `keel: published version ${version.number} (${version.hash.slice(0, 12)})`,
    );
    return 0;
  });
}
