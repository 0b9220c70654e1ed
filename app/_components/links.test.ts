import { describe, expect, it } from "vitest";
import { notificationHref } from "./notification-href";
import { safeNextPath } from "./safe-next";

// Every place that turns operator- or webhook-supplied text into a place to go uses the one
// same-origin function; these are the redirects probing found.
const ORIGIN = "http://127.0.0.1:3000";

describe("redirect targets", () => {
  it("sends sign-in back only to a path in the app", () => {
    expect(safeNextPath("/workflows/x?tab=runs", ORIGIN)).toBe("/workflows/x?tab=runs");
    for (const raw of ["/%09/evil.example/x", "/%0a/evil.example/x", "//evil.example", "/%5Cevil.example/x", "https://evil.example"]) {
      expect(safeNextPath(new URLSearchParams(`next=${raw}`).get("next"), ORIGIN), raw).toBe("/");
    }
  });

  it("treats a notification link as in-app only when it stays on Keel's origin", () => {
    expect(notificationHref("/approvals/a1", ORIGIN)).toEqual({ kind: "internal", href: "/approvals/a1" });
    expect(notificationHref("https://crm.example/deal/7", ORIGIN)).toEqual({ kind: "external", href: "https://crm.example/deal/7" });
    // A path in disguise is neither: shown as text, never followed.
    for (const link of ["/\\evil.example/x", "//evil.example/x", "/\t/evil.example/x", "javascript:alert(1)"]) {
      expect(notificationHref(link, ORIGIN), link).toBeUndefined();
    }
  });
});
