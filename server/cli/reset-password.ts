import { ValidationError } from "../../engine/errors";
import { openDatabase } from "../../engine/store";
import { authService } from "../auth/service";
import { loadConfig } from "../config";
import { prepareDatabase } from "./prepare";
import { promptHidden, readStdin } from "./prompt";

/**
 * `keel reset-password [--password-stdin]`: the way back in. Talks to the database directly,
 * sets the new password, signs out every session and lifts any sign-in lockout.
 */
export async function resetPassword(options: { passwordStdin: boolean }): Promise<number> {
  const config = loadConfig();
  await prepareDatabase(config);
  let password: string;
  if (options.passwordStdin) {
    password = await readStdin();
  } else {
    if (!process.stdin.isTTY) {
      throw new ValidationError("reset-password: no terminal to ask for the password; pipe it in with --password-stdin");
    }
    password = await promptHidden("New operator password: ");
    if ((await promptHidden("Repeat it: ")) !== password) throw new ValidationError("reset-password: the two passwords differ");
  }
  const database = await openDatabase(config.database);
  try {
    await authService(database.db, { sessionTtlMs: config.sessionTtlMs }).setPassword(password, "cli");
  } finally {
    await database.close();
  }
  console.log("keel: the operator password is set; every session was signed out");
  return 0;
}
