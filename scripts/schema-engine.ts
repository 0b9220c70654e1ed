// Prisma's own schema engine, as WebAssembly, driven through a driver adapter: the offline
// replacement for `prisma migrate diff` (whose CLI needs a native binary from the internet).
// Developer tooling and tests only; the app applies migrations with engine/store/migrate.ts.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import type { SchemaEngine as WasmSchemaEngine } from "@prisma/schema-engine-wasm";
import * as runtime from "@prisma/schema-engine-wasm/schema_engine_bg";
import pg from "pg";
import { postgresTwin } from "../prisma/postgres-twin";
import type { DatabaseTarget, Provider } from "../engine/store/database-url";

let engineClass: typeof WasmSchemaEngine | undefined;

// wasm-bindgen's "bundler" output imports the .wasm file, which Node cannot; instantiate it by hand.
function loadEngineClass(): typeof WasmSchemaEngine {
  if (!engineClass) {
    const require = createRequire(import.meta.url);
    const wasmFile = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg").replace(/\.js$/, ".wasm");
    const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmFile)), {
      "./schema_engine_bg.js": runtime as unknown as WebAssembly.ModuleImports,
    });
    (runtime as unknown as { __wbg_set_wasm(exports: unknown): void }).__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    engineClass = runtime.SchemaEngine as unknown as typeof WasmSchemaEngine;
  }
  return engineClass;
}

// adapter-pg cannot map Postgres' internal "char" type (OID 18), which introspection reads;
// present it as text.
class CharAsTextPool extends pg.Pool {
  // @ts-expect-error -- pg's overloads; adapter-pg only uses the promise form.
  override async query(...args: Parameters<pg.Pool["query"]>) {
    // @ts-expect-error -- see above
    const result = (await super.query(...args)) as pg.QueryResult;
    for (const field of result.fields ?? []) if (field.dataTypeID === 18) field.dataTypeID = 25;
    return result;
  }
}

export function schemaSource(provider: Provider): string {
  const source = readFileSync(new URL("../prisma/schema.prisma", import.meta.url), "utf8");
  return provider === "sqlite" ? source : postgresTwin(source);
}

const FILTERS = { externalTables: [], externalEnums: [] };

export interface SchemaDiffer {
  /** SQL that takes the live database to the datamodel; empty when they agree. */
  databaseToDatamodel(): Promise<string>;
  close(): Promise<void>;
}

export async function openSchemaDiffer(target: DatabaseTarget, datamodel = schemaSource(target.provider)): Promise<SchemaDiffer> {
  const SchemaEngine = loadEngineClass();
  const pool = target.provider === "postgresql" ? new CharAsTextPool({ connectionString: target.url, max: 2 }) : undefined;
  const factory =
    target.provider === "sqlite" ? new PrismaBetterSqlite3({ url: target.file }) : new PrismaPg(pool as unknown as ConstructorParameters<typeof PrismaPg>[0]);
  const files = [{ path: "schema.prisma", content: datamodel }];
  const engine = await SchemaEngine.new(
    { datamodels: [["schema.prisma", datamodel]] },
    () => undefined,
    bindMigrationAwareSqlAdapterFactory(factory),
  );
  return {
    async databaseToDatamodel() {
      const result = await engine.diff({
        from: { tag: "schemaDatasource", files, configDir: process.cwd() },
        to: { tag: "schemaDatamodel", files },
        script: true,
        exitCode: true,
        filters: FILTERS,
      });
      return result.exitCode === 0 ? "" : (result.stdout ?? "");
    },
    async close() {
      engine.free();
      await pool?.end();
    },
  };
}
