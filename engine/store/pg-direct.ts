import type pg from "pg";

// The run store's hot path on Postgres: the pool Prisma's adapter uses, queried directly with
// named (server-side prepared) statements, so a step's commit pays the round trips and not
// Prisma's per-statement planning.

export interface PgQuery {
  (sql: string, args: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number }>;
}

export interface PgDirect {
  /** One statement outside a transaction. */
  query: PgQuery;
  /** `fn` between BEGIN and COMMIT on one pooled connection; rolled back if it throws. */
  transaction<T>(fn: (query: PgQuery) => Promise<T>): Promise<T>;
}

// Prisma stores UTC in `timestamp without time zone`; pg would read it as local time.
const TIMESTAMP_OID = 1114;

export function pgDirect(pool: pg.Pool, types: typeof pg.types): PgDirect {
  const names = new Map<string, string>();
  const parsers = {
    getTypeParser: ((oid: number, format?: "text" | "binary") =>
      oid === TIMESTAMP_OID ? (value: string) => new Date(`${value.replace(" ", "T")}Z`) : types.getTypeParser(oid, format)) as typeof types.getTypeParser,
  };
  const on = (client: pg.Pool | pg.PoolClient): PgQuery => async (sql, args) => {
    let name = names.get(sql);
    if (!name) names.set(sql, (name = `keel_${names.size}`));
    const result = await client.query({ name, text: sql, values: args, types: parsers });
    return { rows: result.rows as Record<string, unknown>[], rowCount: result.rowCount ?? 0 };
  };
  return {
    query: on(pool),
    async transaction(fn) {
      const client = await pool.connect();
      let broken: unknown;
      try {
        await client.query("BEGIN");
        try {
          const result = await fn(on(client));
          await client.query("COMMIT");
          return result;
        } catch (error) {
          await client.query("ROLLBACK").catch((rollback: unknown) => (broken = rollback));
          throw error;
        }
      } finally {
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
  };
}
