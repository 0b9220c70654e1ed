import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { postgresTwin } from "./postgres-twin";

describe("the Postgres schema twin", () => {
  it("is exactly what `npm run prisma:sync` derives from prisma/schema.prisma", () => {
    const source = readFileSync(new URL("./schema.prisma", import.meta.url), "utf8");
    const twin = readFileSync(new URL("./postgres/schema.prisma", import.meta.url), "utf8");
    expect(twin, "prisma/postgres/schema.prisma is out of date: run `npm run prisma:sync`").toBe(postgresTwin(source));
  });

  it("differs from the source only in provider, client output and its header", () => {
    const source = readFileSync(new URL("./schema.prisma", import.meta.url), "utf8");
    const twinLines = postgresTwin(source).split("\n").slice(1);
    const changed = source.split("\n").filter((line, i) => line !== twinLines[i]);
    expect(changed).toEqual([
      '  output                 = "../engine/store/generated/sqlite"',
      '  provider = "sqlite"',
    ]);
  });

  it("refuses a source whose provider line it cannot find", () => {
    expect(() => postgresTwin('datasource db {\n  provider = "mysql"\n}')).toThrow(/provider = "sqlite"/);
  });
});
