import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseJsonata, parseTemplate } from "../../engine/expressions";
import { compileGraph } from "../../engine/graph/compile";
import { createWorkflowMachine } from "../../engine/graph/machine";
import { validateGraph } from "../../engine/graph/validate";
import { CATALOG, registry } from "../../nodes/catalog";
import { EXPORT_FORMAT, WorkflowFileSchema } from "../../server/services/publishing";

// docs/graph-format.md is the reference operators write graphs from, so its examples are
// checked here: every ```json block is a graph document or a keel.workflow file that validates
// and compiles, unless it is marked `<!-- invalid: code[, code…] -->` on the line before, in
// which case validation must fail with exactly those codes. The doc must also cover every node
// type in the catalog and every problem code in problems.ts, read from the code itself.

const DOC_PATH = "docs/graph-format.md";
const doc = readFileSync(new URL("../../docs/graph-format.md", import.meta.url), "utf8");
const lines = doc.split("\n");

/** Every problem code, read from the ProblemCode union in problems.ts (not a list kept here). */
const PROBLEM_CODES: string[] = (() => {
  const source = readFileSync(new URL("../../engine/graph/problems.ts", import.meta.url), "utf8");
  const union = /export type ProblemCode\s*=([^;]*);/.exec(source)?.[1] ?? "";
  return [...union.matchAll(/"([a-z_]+)"/g)].map((m) => m[1]!);
})();

interface Heading {
  level: number;
  title: string;
  /** 0-based line index. */
  index: number;
}

interface JsonBlock {
  /** 1-based line of the opening fence, for messages. */
  line: number;
  /** The h2 and h3 the block sits under. */
  h2: string;
  h3: string;
  /** Codes from `<!-- invalid: … -->` on the line before (blank lines skipped); undefined when valid. */
  invalid: string[] | undefined;
  text: string;
}

const INVALID_MARKER = /^<!--\s*invalid:\s*([a-z_,\s]+?)\s*-->$/;

function scan(): { headings: Heading[]; blocks: JsonBlock[]; markers: number } {
  const headings: Heading[] = [];
  const blocks: JsonBlock[] = [];
  let markers = 0;
  let h2 = "";
  let h3 = "";
  let fence: { lang: string; start: number; body: string[] } | undefined;
  lines.forEach((raw, index) => {
    const line = raw.trimEnd();
    if (fence) {
      if (line === "```") {
        if (fence.lang === "json") {
          let before = fence.start - 1;
          while (before >= 0 && lines[before]!.trim() === "") before--;
          const marker = before >= 0 ? INVALID_MARKER.exec(lines[before]!.trim()) : null;
          const invalid = marker ? marker[1]!.split(",").map((c) => c.trim()).filter(Boolean) : undefined;
          blocks.push({ line: fence.start + 1, h2, h3, invalid, text: fence.body.join("\n") });
        }
        fence = undefined;
      } else fence.body.push(raw);
      return;
    }
    const open = /^```(\S*)$/.exec(line);
    if (open) {
      fence = { lang: open[1]!, start: index, body: [] };
      return;
    }
    if (line.trim().startsWith("<!-- invalid")) markers++;
    const heading = /^(#{1,6})\s+(.+)$/.exec(line);
    if (heading) {
      const level = heading[1]!.length;
      const title = heading[2]!.trim();
      headings.push({ level, title, index });
      if (level <= 2) h3 = "";
      if (level === 2) h2 = title;
      if (level === 3) h3 = title;
    }
  });
  if (fence) throw new Error(`${DOC_PATH}:${fence.start + 1}: a code fence is never closed`);
  return { headings, blocks, markers };
}

const { headings, blocks, markers } = scan();

/** The lines of a heading's section: up to the next heading of the same or a higher level. */
function sectionLines(heading: Heading): string[] {
  const next = headings.find((h) => h.index > heading.index && h.level <= heading.level);
  return lines.slice(heading.index + 1, next ? next.index : lines.length);
}

function h2Named(title: string): Heading {
  const found = headings.find((h) => h.level === 2 && h.title === title);
  if (!found) throw new Error(`${DOC_PATH} has no '## ${title}' section`);
  return found;
}

type Parsed = { kind: "graph"; graph: unknown } | { kind: "file"; file: Record<string, unknown> };

function parseBlock(block: JsonBlock): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(block.text);
  } catch (error) {
    throw new Error(`${DOC_PATH}:${block.line}: the json block does not parse: ${(error as Error).message}`);
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    if ("format" in object) return { kind: "file", file: object };
    if ("schemaVersion" in object) return { kind: "graph", graph: object };
  }
  throw new Error(`${DOC_PATH}:${block.line}: a json block must be a graph document (with "schemaVersion") or a "${EXPORT_FORMAT}" file; use \`\`\`text for anything else`);
}

function codesOf(graph: unknown): string[] {
  const result = validateGraph(graph, registry);
  return result.ok ? [] : [...new Set(result.problems.map((p) => p.code))].sort();
}

/** A graph the doc shows as valid: validates, compiles, and the machine can be created. */
function expectRunnable(graph: unknown, where: string): void {
  const result = validateGraph(graph, registry);
  expect(result.ok ? [] : result.problems, `${where}: validation problems`).toEqual([]);
  if (!result.ok) return;
  const compiled = compileGraph(result.graph, registry);
  expect(compiled.hash).toMatch(/^[0-9a-f]{64}$/);
  expect(Object.keys(compiled.stateMap).sort()).toEqual(result.graph.nodes.map((n) => n.id).sort());
  expect(() => createWorkflowMachine(compiled)).not.toThrow();
}

function checkGraph(graph: unknown, block: JsonBlock): void {
  const where = `${DOC_PATH}:${block.line}`;
  if (block.invalid) expect(codesOf(graph), `${where}: marked invalid: ${block.invalid.join(", ")}`).toEqual([...new Set(block.invalid)].sort());
  else expectRunnable(graph, where);
}

const label = (block: JsonBlock) => `line ${block.line} (${[block.h2, block.h3].filter(Boolean).join(" / ")})${block.invalid ? ` invalid: ${block.invalid.join(", ")}` : ""}`;

describe(`${DOC_PATH} examples`, () => {
  it("has json examples, valid and invalid ones, and every invalid marker is on a json block", () => {
    expect(blocks.length).toBeGreaterThan(0);
    expect(blocks.filter((b) => !b.invalid).length).toBeGreaterThan(0);
    expect(blocks.filter((b) => b.invalid).length).toBe(markers);
  });

  it("reads the problem codes from problems.ts", () => {
    expect(PROBLEM_CODES.length).toBeGreaterThan(0);
    expect(new Set(PROBLEM_CODES).size).toBe(PROBLEM_CODES.length);
  });

  it.each(blocks.map((block) => [label(block), block] as const))("%s", (_, block) => {
    const parsed = parseBlock(block);
    for (const code of block.invalid ?? []) expect(PROBLEM_CODES, `${DOC_PATH}:${block.line}: marker names an unknown code`).toContain(code);
    if (block.invalid) expect(block.invalid.length, `${DOC_PATH}:${block.line}: empty invalid marker`).toBeGreaterThan(0);
    if (parsed.kind === "graph") {
      checkGraph(parsed.graph, block);
      return;
    }
    const file = WorkflowFileSchema.safeParse(parsed.file);
    expect(file.success ? [] : file.error.issues, `${DOC_PATH}:${block.line}: not a valid ${EXPORT_FORMAT} file`).toEqual([]);
    expect(parsed.file.graph, `${DOC_PATH}:${block.line}: a ${EXPORT_FORMAT} file needs a graph`).toBeTypeOf("object");
    checkGraph(parsed.file.graph, block);
  });

  it("shows at least one valid, complete graph for every construct", () => {
    const constructs = h2Named("Constructs");
    const sections = headings.filter((h) => h.level === 3 && h.index > constructs.index && sectionLines(constructs).includes(lines[h.index]!));
    expect(sections.length).toBeGreaterThan(0);
    for (const section of sections) {
      const valid = blocks.filter((b) => b.h2 === constructs.title && b.h3 === section.title && !b.invalid);
      expect(valid.length, `construct '${section.title}' has no valid example`).toBeGreaterThan(0);
    }
  });
});

describe(`${DOC_PATH} covers the code`, () => {
  const nodeTypes = h2Named("Node types");
  const nodeHeadings = headings.filter((h) => h.level === 3 && sectionLines(nodeTypes).includes(lines[h.index]!));
  const keyOf = (h: Heading) => /`([A-Za-z][\w.-]*@\d+)`/.exec(h.title)?.[1];

  it.each(CATALOG.map((meta) => [`${meta.type}@${meta.version}`, meta] as const))("has a section for %s with an example config that validates", (key, meta) => {
    const heading = nodeHeadings.find((h) => keyOf(h) === key);
    expect(heading, `no '### … — \`${key}\`' heading under '## Node types'`).toBeDefined();
    if (!heading) return;
    const example = sectionLines(heading)
      .map((l) => /^Example config: `(.+)`$/.exec(l.trim())?.[1])
      .find((e) => e !== undefined);
    expect(example, `${key}: no 'Example config: \`{…}\`' line`).toBeDefined();
    const config = meta.config.safeParse(JSON.parse(example!));
    expect(config.success ? [] : config.error.issues, `${key}: the example config`).toEqual([]);
    if (!config.success) return;
    for (const field of meta.expressions(config.data)) {
      const problem = field.kind === "jsonata" ? parseJsonata(field.source) : parseTemplate(field.source);
      expect(problem, `${key}: example ${field.path}`).toBeUndefined();
    }
  });

  it("documents no node type the catalog does not have", () => {
    const known = new Set(CATALOG.map((m) => `${m.type}@${m.version}`));
    const documented = nodeHeadings.map(keyOf);
    expect(documented.filter((k) => k === undefined || !known.has(k))).toEqual([]);
  });

  it("explains every problem code in problems.ts, and no other", () => {
    // The table whose header starts `| code |`, up to its last row.
    const section = sectionLines(h2Named("Validation problems"));
    const header = section.findIndex((l) => /^\|\s*code\s*\|/.test(l));
    expect(header, "no '| code | … |' table under '## Validation problems'").toBeGreaterThanOrEqual(0);
    const table = section.slice(header + 2);
    const end = table.findIndex((l) => !l.startsWith("|"));
    const rows = (end === -1 ? table : table.slice(0, end))
      .map((l) => /^\| `([a-z_]+)` \|/.exec(l)?.[1])
      .filter((c): c is string => c !== undefined);
    expect([...rows].sort()).toEqual([...PROBLEM_CODES].sort());
    for (const code of PROBLEM_CODES) expect(doc).toContain(`\`${code}\``);
  });
});
