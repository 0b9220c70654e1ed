import Database from "better-sqlite3";
import pg from "pg";
import type { DatabaseTarget } from "../../engine/store";

/**
 * Every row of every table, read through the bare driver (not Prisma, so nothing is converted
 * on the way): table name -> rows, each serialised exactly as the driver returns it (SQLite)
 * or as PostgreSQL renders it (row_to_json), ordered by primary key.
 */
export type TableSnapshot = Record<string, string[]>;

export async function snapshotTables(target: DatabaseTarget): Promise<TableSnapshot> {
  return target.provider === "sqlite" ? snapshotSqlite(target.file) : snapshotPostgres(target.url);
}

function snapshotSqlite(file: string): TableSnapshot {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.defaultSafeIntegers(true);
    const tables = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
      .pluck()
      .all() as string[];
    const snapshot: TableSnapshot = {};
    for (const table of tables) {
      const keys = (db.pragma(`table_info("${table}")`) as { name: string; pk: number | bigint }[])
        .filter((column) => Number(column.pk) > 0)
        .sort((a, b) => Number(a.pk) - Number(b.pk))
        .map((column) => `"${column.name}"`);
      const rows = db.prepare(`SELECT * FROM "${table}" ORDER BY ${keys.join(", ") || "rowid"}`).all();
      snapshot[table] = rows.map((row) =>
        JSON.stringify(row, (_key, value: unknown) =>
          typeof value === "bigint" ? `${value}n` : Buffer.isBuffer(value) ? `hex:${value.toString("hex")}` : value,
        ),
      );
    }
    return snapshot;
  } finally {
    db.close();
  }
}

async function snapshotPostgres(url: string): Promise<TableSnapshot> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ table_name: string; keys: string[] }>(`
      SELECT t.table_name, array_agg(k.column_name::text ORDER BY k.ordinal_position) AS keys
      FROM information_schema.tables t
      JOIN information_schema.table_constraints c
        ON c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY'
      JOIN information_schema.key_column_usage k
        ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema AND k.table_name = c.table_name
      WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'
      GROUP BY t.table_name ORDER BY t.table_name`);
    const snapshot: TableSnapshot = {};
    for (const { table_name: table, keys } of tables) {
      const order = keys.map((key) => `t."${key}"`).join(", ");
      const { rows } = await client.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${table}" t ORDER BY ${order}`);
      snapshot[table] = rows.map((r) => r.row);
    }
    return snapshot;
  } finally {
    await client.end();
  }
}
