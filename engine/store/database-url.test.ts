import { describe, expect, it } from "vitest";
import { parseDatabaseUrl, redactDatabaseUrl } from "./database-url";

describe("database URLs", () => {
  it("parse SQLite files relative to the working directory, and absolute ones as they are", () => {
    expect(parseDatabaseUrl("file:./data/keel.db", "/srv")).toEqual({ provider: "sqlite", url: "file:./data/keel.db", file: "/srv/data/keel.db" });
    expect(parseDatabaseUrl("file:/tmp/k.db", "/srv")).toMatchObject({ file: "/tmp/k.db" });
    expect(parseDatabaseUrl("file:///tmp/k.db", "/srv")).toMatchObject({ file: "/tmp/k.db" });
  });

  it("parse both Postgres schemes", () => {
    expect(parseDatabaseUrl("postgres://u@h/db", "/").provider).toBe("postgresql");
    expect(parseDatabaseUrl("postgresql://u@h/db", "/").provider).toBe("postgresql");
  });

  it("never show a password", () => {
    expect(redactDatabaseUrl("postgresql://keel:s3cret@db:5432/keel")).toBe("postgresql://keel:***@db:5432/keel");
    expect(redactDatabaseUrl("postgresql://keel@db/keel")).toBe("postgresql://keel@db/keel");
  });
});
