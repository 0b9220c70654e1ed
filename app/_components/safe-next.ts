import { sameOriginPath } from "../../engine/same-origin";

/** Where to go after signing in: only a path on this site, never another origin. */
export function safeNextPath(next: string | null | undefined, origin: string): string {
  return (next && sameOriginPath(next, origin)) || "/";
}
