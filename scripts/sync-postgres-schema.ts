// Regenerates prisma/postgres/schema.prisma from the SQLite source.
import { readFileSync, writeFileSync } from "node:fs";
import { postgresTwin } from "../prisma/postgres-twin";

const source = readFileSync("prisma/schema.prisma", "utf8");
writeFileSync("prisma/postgres/schema.prisma", postgresTwin(source));
console.log("prisma/postgres/schema.prisma is in sync with prisma/schema.prisma");
