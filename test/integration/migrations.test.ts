import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, openDatabase, readMigrations } from "../../engine/store";
import { migrationsDir } from "../../server/services";
import { openSchemaDiffer } from "../../scripts/schema-engine";
import { databaseKinds, type ScratchDatabase } from "../support/databases";

describe.each(databaseKinds())("migrations on $name", (kind) => {
  let scratch: ScratchDatabase;
  const dir = () => migrationsDir(scratch.target.provider);

  beforeAll(async () => {
    scratch = await kind.create();
  });
  afterAll(async () => {
    await scratch.dispose();
  });

  it("apply every migration to an empty database, then nothing on the next start", async () => {
    const first = await migrate(scratch.target, dir());
    expect(first.applied).toEqual(readMigrations(dir()).map((m) => m.name));
    expect(first.applied.length).toBeGreaterThan(0);
    const second = await migrate(scratch.target, dir());
    expect(second).toEqual({ applied: [], alreadyApplied: first.applied.length });
  });

  it("produce exactly the schema in prisma/schema.prisma (no drift), by Prisma's own schema engine", async () => {
    const differ = await openSchemaDiffer(scratch.target);
    try {
      expect(await differ.databaseToDatamodel()).toBe("");
    } finally {
      await differ.close();
    }
  });

  it("notice drift when the schema has a change no migration carries", async () => {
    const source = (await import("../../scripts/schema-engine")).schemaSource(scratch.target.provider);
    const changed = source.replace("model Setting {", "model Setting {\n  note String?");
    const differ = await openSchemaDiffer(scratch.target, changed);
    try {
      expect(await differ.databaseToDatamodel()).toMatch(/ALTER TABLE "Setting" ADD COLUMN\s+"note"/);
    } finally {
      await differ.close();
    }
  });

  it("are recorded in Prisma's _prisma_migrations table with Prisma's checksum", async () => {
    const database = await openDatabase(scratch.target);
    try {
      const rows = await database.db.$queryRawUnsafe<
        { migration_name: string; checksum: string; finished_at: unknown; rolled_back_at: unknown; applied_steps_count: number | bigint }[]
      >(`SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`);
      const files = readMigrations(dir());
      expect(rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
      for (const row of rows) {
        const sql = readFileSync(join(dir(), row.migration_name, "migration.sql"));
        expect(row.checksum).toBe(createHash("sha256").update(sql).digest("hex"));
        expect(row.finished_at).not.toBeNull();
        expect(row.rolled_back_at).toBeNull();
        expect(Number(row.applied_steps_count)).toBe(1);
      }
    } finally {
      await database.close();
    }
  });

  it("refuse a migration edited after it was applied, and leave the database untouched", async () => {
    const copy = mkdtempSync(join(tmpdir(), "keel-migrations-"));
    try {
      cpSync(dir(), copy, { recursive: true });
      const [first] = readMigrations(copy);
      writeFileSync(join(copy, first!.name, "migration.sql"), `${first!.sql}\n-- edited\n`);
      await expect(migrate(scratch.target, copy)).rejects.toThrow(`migration '${first!.name}' was modified after it was applied`);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("roll back a failing migration whole, recording nothing", async () => {
    const copy = mkdtempSync(join(tmpdir(), "keel-migrations-"));
    try {
      cpSync(dir(), copy, { recursive: true });
      const broken = join(copy, "99999999999999_broken");
      cpSync(join(copy, readMigrations(copy)[0]!.name), broken, { recursive: true });
      writeFileSync(join(broken, "migration.sql"), `CREATE TABLE "Half" ("id" TEXT PRIMARY KEY);\nTHIS IS NOT SQL;\n`);
      await expect(migrate(scratch.target, copy)).rejects.toThrow();
      const database = await openDatabase(scratch.target);
      try {
        const names = await database.db.$queryRawUnsafe<{ migration_name: string }[]>(`SELECT migration_name FROM "_prisma_migrations"`);
        expect(names.map((n) => n.migration_name)).not.toContain("99999999999999_broken");
        await expect(database.db.$queryRawUnsafe(`SELECT * FROM "Half"`)).rejects.toThrow();
      } finally {
        await database.close();
      }
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});

describe.each(databaseKinds())("concurrent starts on $name", (kind) => {
  it("migrate once when several processes start at the same moment", async () => {
    const scratch = await kind.create();
    try {
      const dir = migrationsDir(scratch.target.provider);
      const results = await Promise.all([1, 2, 3].map(() => migrate(scratch.target, dir)));
      const applied = results.flatMap((r) => r.applied);
      expect(applied).toEqual(readMigrations(dir).map((m) => m.name));
    } finally {
      await scratch.dispose();
    }
  });
});
