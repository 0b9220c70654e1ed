import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { SESSION_COOKIE } from "../../server/http/cookies";
import { getServices } from "../../server/services";
import { OperatorShell } from "../_components/OperatorShell";
import { RunChangesProvider } from "../_components/test-run/use-run-changes";

// Every page in this group needs a signed-in operator; the check is here, on the server,
// against the session table (not only in proxy.ts).
export default async function OperatorLayout({ children }: { children: ReactNode }) {
  const services = await getServices();
  const session = await services.auth.session((await cookies()).get(SESSION_COOKIE)?.value);
  if (!session) {
    const path = (await headers()).get("x-keel-path") ?? "/";
    redirect(path === "/" ? "/login" : `/login?next=${encodeURIComponent(path)}`);
  }
  return (
    <RunChangesProvider>
      <OperatorShell>{children}</OperatorShell>
    </RunChangesProvider>
  );
}
