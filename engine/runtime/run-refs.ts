// Strings that cross layers (timer keys the engine writes and the notifier reads, links the
// engine stores in notifications and the server turns into URLs) are built and read here only.

/** The idempotency key of one visit of a node: `runId:nodeId:visit`, `:eN` after an edited retry. */
export function stepKey(runId: string, nodeId: string, visit: number, editGeneration?: number): string {
  return `${runId}:${nodeId}:${visit}${editGeneration ? `:e${editGeneration}` : ""}`;
}

/** The idempotency key of the child run a sub-workflow step starts. */
export function childRunKey(step: string): string {
  return `${step}:child`;
}

export type TimerRef =
  | { kind: "delay"; step: string }
  | { kind: "remind"; runId: string; nodeId: string; visit: number }
  | { kind: "mail"; notificationId: string };

export function timerKey(ref: TimerRef): string {
  switch (ref.kind) {
    case "delay":
      return `${ref.step}:delay`;
    case "remind":
      return `${ref.runId}:${ref.nodeId}:${ref.visit}:remind`;
    case "mail":
      return `mail:${ref.notificationId}`;
  }
}

/** The suffix that marks reminder timers, for queries that pick them out. */
export const REMIND_SUFFIX = ":remind";

/** A reminder timer's visit, from its key; null when the key is not a reminder's. */
export function remindVisit(key: string): number | null {
  if (!key.endsWith(REMIND_SUFFIX)) return null;
  const visit = Number(key.slice(0, -REMIND_SUFFIX.length).split(":").at(-1));
  return Number.isInteger(visit) && visit > 0 ? visit : null;
}

/** Where the operator acts on something waiting for them, as a path inside Keel. */
export type AppLink = { to: "approval"; id: string } | { to: "form"; id: string } | { to: "run"; id: string };

export function appPath(link: AppLink): `/${string}` {
  switch (link.to) {
    case "approval":
      return `/approvals/${encodeURIComponent(link.id)}`;
    case "form":
      return `/forms/${encodeURIComponent(link.id)}`;
    case "run":
      return `/runs/${encodeURIComponent(link.id)}`;
  }
}
