import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import pg from "pg";
import { json } from "../engine/store";
import { databaseKinds, migratedDatabase } from "../test/support/databases";
import { opsPerSecond, report } from "./report";

// The store's cost per durable write: one append-only event row per transaction through Prisma
// (what the engine does per step, minus the checkpoint), beside the same insert through the raw
// driver on the same database in the same run.

const COUNT = 2_000;
const PAYLOAD = { node: "send", output: { status: 202, body: { ok: true, id: "abc123" } } };

export async function benchStoreWrites(): Promise<void> {
  for (const kind of databaseKinds()) {
    const env = await migratedDatabase(kind);
    try {
      const { db } = env.database;
      const wf = await db.workflow.create({ data: { slug: "bench", name: "bench", draftGraph: json({}) } });
      const version = await db.workflowVersion.create({
        data: { workflowId: wf.id, number: 1, graph: json({}), machine: json({}), hash: "bench" },
      });
      const run = await db.run.create({ data: { workflowId: wf.id, versionId: version.id, input: json({}) } });

      const viaStore = await opsPerSecond(COUNT, (i) =>
        db.$transaction([db.runEvent.create({ data: { runId: run.id, seq: i, type: "step.completed", nodeId: "send", payload: json(PAYLOAD) } })]),
      );

      let viaDriver: number;
      const target = env.scratch.target;
      const payload = JSON.stringify(PAYLOAD);
      if (target.provider === "sqlite") {
        const raw = new Database(target.file, { timeout: 10_000 });
        const insert = raw.prepare(
          `INSERT INTO "RunEvent" (id, "runId", seq, type, "nodeId", payload, "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?)`,
        );
        const tx = raw.transaction((i: number) => insert.run(randomUUID(), run.id, COUNT + i, "step.completed", "send", payload, new Date().toISOString()));
        viaDriver = await opsPerSecond(COUNT, (i) => tx(i));
        raw.close();
      } else {
        const raw = new pg.Client({ connectionString: target.url });
        await raw.connect();
        viaDriver = await opsPerSecond(COUNT, async (i) => {
          await raw.query("BEGIN");
          await raw.query(
            `INSERT INTO "RunEvent" (id, "runId", seq, type, "nodeId", payload, "createdAt") VALUES ($1, $2, $3, $4, $5, $6, now())`,
            [randomUUID(), run.id, COUNT + i, "step.completed", "send", payload],
          );
          await raw.query("COMMIT");
        });
        await raw.end();
      }
      report(`store.${kind.name}.event_insert_tx`, viaStore, "tx/s", viaDriver);
    } finally {
      await env.dispose();
    }
  }
}
