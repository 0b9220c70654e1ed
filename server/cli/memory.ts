import { ValidationError } from "../../engine/errors";
import { openDatabase } from "../../engine/store";
import { reindexAll } from "../../infra/memory/memory-store";
import { loadConfig } from "../config";
import { memoryIndexFor } from "../memory/index-for";
import { chromaForCommand } from "../process/chroma";
import { memoryService } from "../services/memory";
import { prepareDatabase } from "./prepare";

// `keel memory reindex` and `keel memory forget kind:key`: the database is the source of truth,
// so the index can always be rebuilt from it, and forgetting starts there.

const USAGE = "keel memory reindex | keel memory forget KIND:KEY";

function say(line: string): void {
  process.stdout.write(`keel: ${line}\n`);
}

export async function memoryCommand(args: string[]): Promise<number> {
  const [verb, subject, ...rest] = args.filter((a) => a !== "memory");
  if (verb !== "reindex" && verb !== "forget") throw new ValidationError(`memory: which action? usage: ${USAGE}`);
  if (verb === "forget" && !subject) throw new ValidationError(`memory forget: which subject? usage: ${USAGE}`);
  if ((verb === "reindex" && subject) || rest.length > 0) throw new ValidationError(`memory ${verb}: unexpected argument '${verb === "reindex" ? subject : rest[0]}' (usage: ${USAGE})`);

  const config = loadConfig();
  await prepareDatabase(config);
  const database = await openDatabase(config.database);
  const chroma = await chromaForCommand(config, (line) => process.stderr.write(`keel: ${line}\n`));
  try {
    const index = memoryIndexFor(config, chroma.url, database.db)!;
    if (verb === "reindex") {
      say(`rebuilding ${index.collectionName} (embedder ${index.embedder.id}) from the database`);
      let shown = 0;
      const result = await reindexAll(database.db, index, {
        onBatch: (done, total) => {
          if (done - shown >= 1_000 || done === total) {
            say(`indexed ${done} of ${total}`);
            shown = done;
          }
        },
      });
      say(`reindexed ${result.items} item(s) in ${result.batches} batch(es) into ${result.collection}; the index holds ${await index.count()}`);
      return 0;
    }
    const result = await memoryService(database, { index }).forget(subject!, "cli");
    say(`forgot ${result.subject}: ${result.items} item(s) deleted, ${result.events} event payload(s), ${result.effects} effect(s) and ${result.runs} run input(s) tombstoned`);
    return 0;
  } finally {
    await chroma.close();
    await database.close();
  }
}
