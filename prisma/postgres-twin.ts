// The Postgres schema is derived, never edited: the same models with another provider and client output.
export const SQLITE_PROVIDER = 'provider = "sqlite"';
export const POSTGRES_PROVIDER = 'provider = "postgresql"';
const SQLITE_OUTPUT = 'output                 = "../engine/store/generated/sqlite"';
const POSTGRES_OUTPUT = 'output                 = "../../engine/store/generated/postgres"';

const HEADER =
  "// GENERATED from prisma/schema.prisma by `npm run prisma:sync`. Do not edit: edit the source and sync.\n";

export function postgresTwin(source: string): string {
  for (const line of [SQLITE_PROVIDER, SQLITE_OUTPUT]) {
    if (source.split(line).length !== 2) {
      throw new Error(`prisma/schema.prisma must contain the line '${line}' exactly once`);
    }
  }
  return HEADER + source.replace(SQLITE_PROVIDER, POSTGRES_PROVIDER).replace(SQLITE_OUTPUT, POSTGRES_OUTPUT);
}
