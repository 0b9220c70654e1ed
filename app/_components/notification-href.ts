import { sameOriginPath } from "../../engine/same-origin";

export type NotificationHref = { kind: "internal"; href: string } | { kind: "external"; href: string };

/**
 * Where a notification's link may lead: a path that stays in Keel, or a full http(s) URL shown
 * as leaving it. A link that looks like a path but leaves Keel (`/\evil.example`) is neither.
 */
export function notificationHref(link: string, origin: string): NotificationHref | undefined {
  if (link.startsWith("/")) {
    const path = sameOriginPath(link, origin);
    return path ? { kind: "internal", href: path } : undefined;
  }
  try {
    const url = new URL(link);
    if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
    const path = sameOriginPath(url.href, origin);
    return path ? { kind: "internal", href: path } : { kind: "external", href: url.href };
  } catch {
    return undefined;
  }
}
