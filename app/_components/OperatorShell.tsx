"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { signOutStarted, useTRPC } from "../_trpc/client";
import { usePendingApprovalCount } from "./use-live-approvals";

const NAV = [
  { href: "/", label: "Dashboard", match: (p: string) => p === "/" },
  { href: "/workflows", label: "Workflows", match: (p: string) => p.startsWith("/workflows") },
  { href: "/runs", label: "Runs", match: (p: string) => p.startsWith("/runs") },
  { href: "/approvals", label: "Approvals", match: (p: string) => p.startsWith("/approvals") },
  { href: "/dead-letters", label: "Dead letters", match: (p: string) => p.startsWith("/dead-letters") },
  { href: "/intents", label: "Intents", match: (p: string) => p.startsWith("/intents") },
  { href: "/memory", label: "Memory", match: (p: string) => p.startsWith("/memory") },
  { href: "/notifications", label: "Notifications", match: (p: string) => p.startsWith("/notifications") },
  { href: "/outbox", label: "Email", match: (p: string) => p.startsWith("/outbox") },
  { href: "/audit", label: "Audit log", match: (p: string) => p.startsWith("/audit") },
  { href: "/settings", label: "Settings", match: (p: string) => p.startsWith("/settings") },
];

export function OperatorShell({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  const trpc = useTRPC();
  // Refreshed now and then, so something that starts waiting shows up without a reload.
  const unread = useQuery(trpc.notification.unreadCount.queryOptions(undefined, { refetchInterval: 15_000 })).data?.unread ?? 0;
  const waiting = usePendingApprovalCount();
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onMutate: signOutStarted,
      onSettled: () => window.location.assign("/login"),
    }),
  );
  return (
    <>
      <header className="topbar">
        <Link href="/" className="brand">
          Keel
        </Link>
        <nav className="topnav" aria-label="Main">
          {NAV.map((item) => (
            <Link key={item.href} href={item.href} className={item.match(pathname) ? "active" : undefined}>
              {item.label}
              {item.href === "/approvals" && waiting > 0 ? (
                <span className="badge badge-warning" data-testid="approval-count" aria-label={`${waiting} waiting`}>
                  {waiting}
                </span>
              ) : null}
              {item.href === "/notifications" && unread > 0 ? (
                <span className="badge badge-warning" data-testid="unread-count" aria-label={`${unread} unread`}>
                  {unread}
                </span>
              ) : null}
            </Link>
          ))}
        </nav>
        <button type="button" className="button-quiet" onClick={() => logout.mutate()} disabled={logout.isPending}>
          Sign out
        </button>
      </header>
      <main className="page">{children}</main>
    </>
  );
}
