import { createInterface } from "node:readline/promises";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ValidationError } from "../../engine/errors";
import { connectionError, migrate, openDatabase, type Database } from "../../engine/store";
import { memoryIndexFor } from "../memory/index-for";
import { chromaForCommand } from "../process/chroma";
import { memoryService } from "../services/memory";
import { loadConfig, type KeelConfig } from "../config";
import { PROJECT_ROOT } from "../process/paths";
import { migrationsDir } from "../services";
import { checkRestorable, createBackup, restoreBackup, restorePlan, verifyBackup } from "../services/backup";
import { describeRetention, runRetention } from "../services/retention";

// `keel backup`, `keel restore`, `keel prune`: the CLI half of data safety. The work happens in
// server/services/backup.ts and retention.ts; this file parses arguments, asks, and prints.

function parse(command: string, args: string[], options: NonNullable<ParseArgsConfig["options"]>, usage: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    // Node's own message goes on to explain `--`; the first sentence is the one that helps.
    const reason = (error instanceof Error ? error.message : String(error)).split(/\.\s|\n/)[0];
    throw new ValidationError(`${command}: ${reason} (usage: ${usage})`);
  }
}

function say(line: string): void {
  process.stdout.write(`keel: ${line}\n`);
}

function warn(line: string): void {
  process.stderr.write(`keel: warning: ${line}\n`);
}

function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KiB`;
  return `${(size / 1024 / 1024).toFixed(1)} MiB`;
}

/** Memory retention per kind: items past it leave the database and the index. */
async function pruneMemory(config: KeelConfig, database: Database) {
  if ((await memoryService(database, { index: undefined }).expiredCount()) === 0) return undefined;
  const chroma = await chromaForCommand(config, warn);
  try {
    return await memoryService(database, { index: memoryIndexFor(config, chroma.url, database.db) }).prune("cli");
  } finally {
    await chroma.close();
  }
}

/** Turns "cannot reach the database" into the usual one line naming DATABASE_URL. */
async function withDatabaseErrors<T>(config: KeelConfig, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw connectionError(config.database, error) ?? error;
  }
}

const BACKUP_USAGE = "keel backup [--out DIR]";

export async function backupCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse("backup", args, { out: { type: "string" } }, BACKUP_USAGE);
  if (positionals.length > 0) throw new ValidationError(`backup: unexpected argument '${positionals[0]}' (usage: ${BACKUP_USAGE})`);
  const config = loadConfig();
  const backup = await withDatabaseErrors(config, () =>
    createBackup(config, { outDir: values.out as string | undefined, cwd: process.cwd(), projectRoot: PROJECT_ROOT }),
  );
  for (const warning of backup.warnings) warn(warning);
  say(`backup written to ${backup.dir}`);
  for (const file of backup.manifest.files) say(`  ${file.name}  ${formatBytes(file.size)}  sha256 ${file.sha256}`);
  say(`  manifest.json  (${backup.manifest.provider}, ${backup.manifest.migrations.length} migrations, key: ${backup.manifest.key})`);
  return 0;
}

const RESTORE_USAGE = "keel restore DIR [--yes]";

export async function restoreCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse("restore", args, { yes: { type: "boolean", short: "y" } }, RESTORE_USAGE);
  if (positionals.length !== 1) throw new ValidationError(`restore: expected one backup directory (usage: ${RESTORE_USAGE})`);
  const config = loadConfig();
  const now = new Date();
  // Everything that could refuse, before the question: a damaged backup, the wrong database
  // kind, a backup from a newer Keel, a running Keel.
  const backup = await verifyBackup(positionals[0]!, process.cwd());
  say(`backup verified: ${backup.manifest.files.length} file(s) match their checksums`);
  checkRestorable(config, backup, PROJECT_ROOT);
  for (const line of restorePlan(config, backup, now).lines) say(line);

  if (!values.yes) {
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      throw new ValidationError("restore replaces the current database: run it on a terminal to confirm, or pass --yes; nothing was changed");
    }
    const prompt = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await prompt.question("Restore this backup? Type 'yes' to continue: ").finally(() => prompt.close());
    if (answer.trim().toLowerCase() !== "yes") {
      say("restore cancelled; nothing was changed");
      return 1;
    }
  }

  const result = await withDatabaseErrors(config, () => restoreBackup(config, backup.dir, { projectRoot: PROJECT_ROOT, now }));
  for (const warning of result.warnings) warn(warning);
  say(`restored the backup made ${backup.manifest.createdAt}`);
  for (const path of result.setAside) say(`  kept the replaced ${path}`);
  say("start Keel again with keel start (it applies any newer migrations)");
  return 0;
}

const PRUNE_USAGE = "keel prune [--days N]";

export async function pruneCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse("prune", args, { days: { type: "string" } }, PRUNE_USAGE);
  if (positionals.length > 0) throw new ValidationError(`prune: unexpected argument '${positionals[0]}' (usage: ${PRUNE_USAGE})`);
  let days: number | undefined;
  if (values.days !== undefined) {
    if (typeof values.days !== "string" || !/^\d+$/.test(values.days) || Number(values.days) < 1) {
      throw new ValidationError(`--days: must be a whole number of days, at least 1 (got '${String(values.days)}')`, [
        { path: "days", message: "must be a whole number of days, at least 1" },
      ]);
    }
    days = Number(values.days);
  }
  const config = loadConfig();
  const result = await withDatabaseErrors(config, async () => {
    await migrate(config.database, migrationsDir(config.database.provider, PROJECT_ROOT));
    const database = await openDatabase(config.database);
    try {
      const runs = await runRetention(database, { now: new Date(), days, actor: "cli" });
      return { runs, memory: await pruneMemory(config, database) };
    } finally {
      await database.close();
    }
  });
  say(describeRetention(result.runs));
  if (result.memory) say(`deleted ${result.memory.items} memory item(s) past their kind's retention`);
  return 0;
}
