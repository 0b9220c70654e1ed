import { parseArgs } from "node:util";
import { isKeelError, ValidationError } from "../../engine/errors";

// Each command's module is loaded only when that command runs: `keel run` and `keel help`
// should not pay for loading Next, Chroma's client and every service.
const cli = {
  dataSafety: () => import("./data-safety"),
  graph: () => import("./graph-commands"),
  memory: () => import("./memory"),
  operations: () => import("./operations"),
  prepare: () => import("./prepare"),
  resetPassword: () => import("./reset-password"),
  rotateKey: () => import("./rotate-key"),
  run: () => import("./run"),
  worker: () => import("./worker"),
  start: () => import("./start"),
  web: () => import("./web"),
  config: () => import("../config"),
};

const USAGE = `usage: keel <command>

commands:
  start [--no-worker]
             migrate and seed the database, start the web server and a worker (and
             Chroma, when memory is first used)
             (npm start); --no-worker: no worker, for a deployment that runs N apart
  web        the same as start --no-worker
  migrate    apply pending database migrations and seed templates, then exit
  reset-password [--password-stdin]
             set the operator password and sign out every session
  backup [--out DIR]
             copy the database and key file into a new backup directory
  restore DIR [--yes]
             verify a backup and put it in place of the current database (kept aside)
  prune [--days N]
             replace payloads of runs finished more than N days ago with tombstones
  validate FILE|DIR
             check a graph or workflow file (or each .json file in DIR); prints each
             problem with its node and path
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
  run FILE|WORKFLOW [--input JSON | --input-file FILE] [--idempotency-key K] [--wait] [--until finished]
             start a run (a file is published first) and print it as JSON;
             --input-file: one run per JSON line, one output line per run; --wait returns
             when it finishes or waits, sleeps or is paused; --until finished waits for the end
  rotate-key seal every stored secret under a new key file
  memory reindex
             rebuild the memory index of the current embedder from the database
  memory forget KIND:KEY
             delete a subject's memory, drop it from the index, tombstone its run payloads
  dead-letters list [--json]
             the steps that failed for good, with their error and run
  dead-letters retry ID... | --all [--workflow NAME]
             retry dead steps under their own idempotency keys
  dead-letters retry ID --input JSON | --input-file PATH
             retry one with the run's input replaced (checked against the trigger's
             input schema), under a new idempotency key
  token create NAME
             print a new API token for the HTTP API (shown once)
  token list [--json] | token revoke ID|PREFIX
             the API tokens (never the tokens themselves); revoke one
  help       show this text
`;

async function main(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false });
  const [command = "help"] = positionals;
  switch (command) {
    case "start":
      return (await cli.start()).start({ worker: !argv.includes("--no-worker") });
    case "web":
      return (await cli.start()).start({ worker: false });
    case "migrate": {
      const { applied, seeded, published, unpublished } = await (await cli.prepare()).prepareDatabase((await cli.config()).loadConfig());
      console.log(`keel: ${applied.length ? `applied ${applied.join(", ")}` : "database is up to date"}`);
      if (seeded.length) console.log(`keel: seeded ${seeded.join(", ")}`);
      if (published.length) console.log(`keel: published ${published.join(", ")}`);
      for (const { slug, reason } of unpublished) console.error(`keel: ${slug} not published: ${reason}`);
      return 0;
    }
    case "prepare": {
      // Internal: `keel start`'s first child. The result goes back over the IPC channel.
      const prepared = await (await cli.prepare()).prepareDatabase((await cli.config()).loadConfig(), { setupLink: argv.includes("--setup-link") });
      await new Promise<void>((resolve, reject) => (process.send ? process.send(prepared, (error: Error | null) => (error ? reject(error) : resolve())) : resolve()));
      return 0;
    }
    case "reset-password":
      return (await cli.resetPassword()).resetPassword({ passwordStdin: argv.includes("--password-stdin") });
    case "backup":
      return (await cli.dataSafety()).backupCommand(argv.slice(argv.indexOf(command) + 1));
    case "restore":
      return (await cli.dataSafety()).restoreCommand(argv.slice(argv.indexOf(command) + 1));
    case "prune":
      return (await cli.dataSafety()).pruneCommand(argv.slice(argv.indexOf(command) + 1));
    case "validate":
    case "compile":
    case "import": {
      const file = positionals[1];
      if (!file) throw new ValidationError(`${command}: which file? usage: keel ${command} FILE`);
      const graph = await cli.graph();
      return command === "validate" ? graph.validateCommand(file) : command === "compile" ? graph.compileCommand(file) : graph.importCommand(file);
    }
    case "schema":
      return (await cli.graph()).schemaCommand();
    case "publish":
    case "export": {
      const { values, positionals: args } = parseArgs({ args: argv.slice(argv.indexOf(command) + 1), allowPositionals: true, options: { notes: { type: "string" }, out: { type: "string" } } });
      if (!args[0]) throw new ValidationError(`${command}: which workflow? usage: keel ${command} ${command === "publish" ? "FILE|ID" : "ID"}`);
      const graph = await cli.graph();
      return command === "publish" ? graph.publishCommand(args[0], values.notes) : graph.exportCommand(args[0], values.out);
    }
    case "worker":
      return (await cli.worker()).workerCommand(argv.slice(argv.indexOf(command) + 1));
    case "run":
      return (await cli.run()).runCommand(argv.slice(argv.indexOf(command) + 1));
    case "rotate-key":
      return (await cli.rotateKey()).rotateKeyCommand();
    case "serve-web":
      return (await cli.web()).serveWebCommand(argv.slice(argv.indexOf(command) + 1));
    case "memory":
      return (await cli.memory()).memoryCommand(argv.slice(argv.indexOf(command) + 1));
    case "dead-letters":
      return (await cli.operations()).deadLettersCommand(argv.slice(argv.indexOf(command) + 1));
    case "token":
      return (await cli.operations()).tokenCommand(argv.slice(argv.indexOf(command) + 1));
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
  async (error: unknown) => {
    if (isKeelError(error)) {
      process.stderr.write(`keel: ${error.message}\n`);
    } else if (String((error as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS")) {
      // An unknown or malformed option is the caller's mistake, not a bug: one line.
      process.stderr.write(`keel: ${(error as Error).message.split(". ")[0]}; see keel help\n`);
    } else {
      // A bug: one JSON log line with the stack (loaded only now; pino costs the light commands).
      // The configured level does not matter for an error, and the configuration may be what failed.
      const { createLogger } = await import("../log");
      createLogger({ logLevel: "info" }, "cli").error({ stack: error instanceof Error ? error.stack : String(error) }, `keel: unexpected error: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    }
    process.exit(1);
  },
);
