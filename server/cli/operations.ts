import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { NotFoundError, ValidationError } from "../../engine/errors";
import { withServices } from "./with-services";

// `keel dead-letters list|retry` and `keel token create|list|revoke`: the operations an
// administrator scripts without a browser, on the database directly (actor "cli").

const DEAD_LETTERS_USAGE = "keel dead-letters list [--json] | keel dead-letters retry ID... | keel dead-letters retry --all [--workflow NAME] | keel dead-letters retry ID --input JSON|--input-file PATH";
const TOKEN_USAGE = "keel token create NAME | keel token list [--json] | keel token revoke ID|PREFIX";

const out = (line: string) => process.stdout.write(`${line}\n`);

export async function deadLettersCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" }, all: { type: "boolean" }, workflow: { type: "string" }, input: { type: "string" }, "input-file": { type: "string" } },
  });
  const [verb, ...ids] = positionals;
  if (verb !== "list" && verb !== "retry") throw new ValidationError(`dead-letters: which action? usage: ${DEAD_LETTERS_USAGE}`);
  // Read and parsed before the database is opened: a typo costs nothing.
  const edited = verb === "retry" ? await editedInput(values.input, values["input-file"], ids, values.all ?? false) : undefined;
  return withServices(async (services) => {
    if (edited) {
      // One run's input, edited: checked against its trigger's input schema by the service,
      // which names each field that does not fit.
      await services.deadLetters.retry(edited.id, "cli", { input: edited.input });
      out(`retried ${edited.id} with the edited run input`);
      return 0;
    }
    const inbox = await services.deadLetterInbox();
    if (verb === "list") {
      if (values.json) {
        out(JSON.stringify(inbox.map((l) => ({ id: l.id, runId: l.runId, workflow: l.workflow.name, node: l.node.id, errorKind: l.errorKind, error: l.error, attempts: l.attempts.length, key: l.key, createdAt: l.createdAt })), null, 2));
        return 0;
      }
      if (inbox.length === 0) {
        out("no open dead letters");
        return 0;
      }
      for (const l of inbox) out(`${l.id}  ${l.workflow.name} · ${l.node.label}  [${l.errorKind}]  ${l.error}  (run ${l.runId}, ${l.attempts.length} attempt(s))`);
      return 0;
    }
    let chosen = ids;
    if (values.all) {
      if (ids.length) throw new ValidationError("dead-letters retry: give IDs or --all, not both");
      chosen = inbox.filter((l) => !values.workflow || l.workflow.name === values.workflow || l.workflow.id === values.workflow).map((l) => l.id);
      if (chosen.length === 0) {
        out(`no open dead letters${values.workflow ? ` of '${values.workflow}'` : ""}`);
        return 0;
      }
    } else if (chosen.length === 0) throw new ValidationError(`dead-letters retry: which dead letters? usage: ${DEAD_LETTERS_USAGE}`);
    const results = await services.deadLetters.retryMany(chosen, "cli");
    for (const r of results) out(r.ok ? `retried ${r.id}` : `not retried ${r.id}: ${r.error}`);
    return results.every((r) => r.ok) ? 0 : 1;
  });
}

/**
 * The run input a retry replaces the run's with (`--input JSON` or `--input-file PATH`), or
 * undefined for a plain retry. It is one run's input, so it goes with exactly one ID.
 */
async function editedInput(inline: string | undefined, file: string | undefined, ids: string[], all: boolean): Promise<{ id: string; input: unknown } | undefined> {
  if (inline === undefined && file === undefined) return undefined;
  if (inline !== undefined && file !== undefined) throw new ValidationError("dead-letters retry: give --input or --input-file, not both");
  if (all || ids.length !== 1) throw new ValidationError(`dead-letters retry: edited input is one run's input: give exactly one ID (usage: ${DEAD_LETTERS_USAGE})`);
  const option = inline !== undefined ? "--input" : "--input-file";
  let text = inline;
  if (text === undefined) {
    try {
      text = await readFile(file!, "utf8");
    } catch (error) {
      throw new ValidationError(`--input-file: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  try {
    return { id: ids[0]!, input: JSON.parse(text) as unknown };
  } catch (error) {
    throw new ValidationError(`${option}: not valid JSON: ${(error as Error).message}`);
  }
}

export async function tokenCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: "boolean" } } });
  const [verb, ...rest] = positionals;
  if (verb !== "create" && verb !== "list" && verb !== "revoke") throw new ValidationError(`token: which action? usage: ${TOKEN_USAGE}`);
  return withServices(async (services) => {
    if (verb === "create") {
      const name = rest.join(" ");
      if (!name) throw new ValidationError(`token create: name: is required (usage: ${TOKEN_USAGE})`);
      const token = await services.auth.createApiToken({ name }, "cli");
      // The token itself is shown once, here; only its hash is stored.
      out(token.token);
      process.stderr.write(`keel: created API token '${token.name}' (${token.id}); send it as "Authorization: Bearer <token>". It is not shown again.\n`);
      return 0;
    }
    const tokens = await services.auth.listApiTokens();
    if (verb === "list") {
      if (values.json) out(JSON.stringify(tokens, null, 2));
      else if (tokens.length === 0) out("no API tokens");
      else for (const t of tokens) out(`${t.id}  ${t.prefix}…  ${t.name}  created ${t.createdAt}  last used ${t.lastUsedAt ?? "never"}${t.revokedAt ? `  REVOKED ${t.revokedAt}` : ""}`);
      return 0;
    }
    const ref = rest[0];
    if (!ref || rest.length > 1) throw new ValidationError(`token revoke: which token? usage: ${TOKEN_USAGE}`);
    const matches = tokens.filter((t) => t.id === ref || t.prefix === ref.replace(/…$/, ""));
    if (matches.length === 0) throw new NotFoundError(`token revoke: no API token '${ref}' (see keel token list)`);
    if (matches.length > 1) throw new ValidationError(`token revoke: '${ref}' names ${matches.length} tokens; use the id`);
    const token = matches[0]!;
    if (token.revokedAt) {
      out(`already revoked ${token.id} (${token.name}) at ${token.revokedAt}`);
      return 0;
    }
    await services.auth.revokeApiToken(token.id, "cli");
    out(`revoked ${token.id} (${token.name})`);
    return 0;
  });
}
