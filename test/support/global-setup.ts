import { postgresServerUrl } from "./databases";

// The one allowed skip, and it is loud: without KEEL_TEST_DATABASE_URL the Postgres half of the
// integration suite does not run.
export default function setup() {
  if (!postgresServerUrl()) {
    const line = "!".repeat(78);
    console.warn(
      `\n${line}\n!! The Postgres integration suite DID NOT RUN: KEEL_TEST_DATABASE_URL is not a postgres:// URL.\n` +
        `!! Only SQLite was tested. Set it (e.g. postgresql://postgres@127.0.0.1:5432/test) to run both;\n` +
        `!! .ci/run always does.\n${line}\n`,
    );
  }
}
