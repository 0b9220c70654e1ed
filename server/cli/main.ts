import { parseArgs } from "node:util";
import { isKeelError, ValidationError } from "../../engine/errors";
import { loadConfig } from "../config";
import { backupCommand, pruneCommand, restoreCommand } from "./data-safety";
import { compileCommand, exportCommand, importCommand, publishCommand, schemaCommand, validateCommand } from "./graph-commands";
import { memoryCommand } from "./memory";
import { prepareDatabase } from "./prepare";
import { resetPassword } from "./reset-password";
import { rotateKeyCommand } from "./rotate-key";
import { runCommand } from "./run";
import { workerCommand } from "./worker";
import { start } from "./start";
import { serveWebCommand } from "./web";

const USAGE = `usage: keel <command>

commands:
  start      migrate and seed the database, start Chroma and the web server (npm start)
  migrate    apply pending database migrations and seed templates, then exit
  reset-password [--password-stdin]
             set the operator password and sign out every session
  backup [--out DIR]
             copy the database and key file into a new backup directory
  restore DIR [--yes]
             verify a backup and put it in place of the current database (kept aside)
  prune [--days N]
             replace payloads of runs finished more than N days ago with tombstones
  validate FILE
             check a graph or workflow file; prints each problem with its node and path
  compile FILE
             print the compiled XState machine of a graph as JSON
  schema     print the JSON Schema of the graph format
  publish FILE|ID [--notes TEXT]
             publish a workflow file (created or updated by slug) or a workflow's draft
  import FILE
             add a workflow from an exported file (as a draft)
  export ID [--out FILE]
             write a workflow as a JSON file (never secrets)
  worker [--concurrency N]
             claim and advance runs until stopped (keel start runs one)
  run FILE|WORKFLOW [--input JSON] [--idempotency-key K] [--wait]
             start a run (a file is published first) and print it as JSON
  rotate-key seal every stored secret under a new key file
  memory reindex
             rebuild the memory index of the current embedder from the database
  memory forget KIND:KEY
             delete a subject's memory, drop it from the index, tombstone its run payloads
  help       show this text
`;

async function main(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false });
  const [command = "help"] = positionals;
  switch (command) {
    case "start":
      return start();
    case "migrate": {
      const { applied, seeded } = await prepareDatabase(loadConfig());
      console.log(`keel: ${applied.length ? `applied ${applied.join(", ")}` : "database is up to date"}`);
      if (seeded.length) console.log(`keel: seeded ${seeded.join(", ")}`);
      return 0;
    }
    case "reset-password":
      return resetPassword({ passwordStdin: argv.includes("--password-stdin") });
    case "backup":
      return backupCommand(argv.slice(argv.indexOf(command) + 1));
    case "restore":
      return restoreCommand(argv.slice(argv.indexOf(command) + 1));
    case "prune":
      return pruneCommand(argv.slice(argv.indexOf(command) + 1));
    case "validate":
    case "compile":
    case "import": {
      const file = positionals[1];
      if (!file) throw new ValidationError(`${command}: which file? usage: keel ${command} FILE`);
      return command === "validate" ? validateCommand(file) : command === "compile" ? compileCommand(file) : importCommand(file);
    }
    case "schema":
      return schemaCommand();
    case "publish":
    case "export": {
      const { values, positionals: args } = parseArgs({ args: argv.slice(argv.indexOf(command) + 1), allowPositionals: true, options: { notes: { type: "string" }, out: { type: "string" } } });
      if (!args[0]) throw new ValidationError(`${command}: which workflow? usage: keel ${command} ${command === "publish" ? "FILE|ID" : "ID"}`);
      return command === "publish" ? publishCommand(args[0], values.notes) : exportCommand(args[0], values.out);
    }
    case "worker":
      return workerCommand(argv.slice(argv.indexOf(command) + 1));
    case "run":
      return runCommand(argv.slice(argv.indexOf(command) + 1));
    case "rotate-key":
      return rotateKeyCommand();
    case "serve-web":
      return serveWebCommand(argv.slice(argv.indexOf(command) + 1));
    case "memory":
      return memoryCommand(argv.slice(argv.indexOf(command) + 1));
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`keel: unknown command '${command}'\n\n${USAGE}`);
      return 2;
  }
}

// The CLI's one error edge: Keel's own errors become one line; anything else is a bug.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (isKeelError(error)) {
      process.stderr.write(`keel: ${error.message}\n`);
    } else {
      process.stderr.write(`keel: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exit(1);
  },
);
