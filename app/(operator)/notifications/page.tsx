"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { ListStates } from "../../_components/ListStates";
import { notificationHref } from "../../_components/notification-href";
import { useTRPC } from "../../_trpc/client";

/** The title, as a link when it has a safe one; not prefetched (the approval page is still to come). */
function Title({ title, link }: { title: string; link: string | null }) {
  const href = link ? notificationHref(link, window.location.origin) : undefined;
  if (!href) return <>{title}</>;
  if (href.kind === "internal") {
    return (
      <Link href={href.href} prefetch={false}>
        {title}
      </Link>
    );
  }
  return (
    <a href={href.href} rel="noreferrer noopener">
      {title}
    </a>
  );
}

export default function NotificationsPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.notification.list.queryOptions({}));
  const refresh = () =>
    Promise.all([queryClient.invalidateQueries({ queryKey: trpc.notification.list.queryKey() }), queryClient.invalidateQueries({ queryKey: trpc.notification.unreadCount.queryKey() })]);
  const markRead = useMutation(trpc.notification.markRead.mutationOptions({ onSuccess: refresh }));
  const markAll = useMutation(trpc.notification.markAllRead.mutationOptions({ onSuccess: refresh }));
  const unread = list.data?.filter((n) => !n.readAt).length ?? 0;

  return (
    <section>
      <div className="page-header">
        <h1>Notifications</h1>
        <button type="button" className="button-quiet" onClick={() => markAll.mutate()} disabled={unread === 0 || markAll.isPending}>
          Mark all read
        </button>
      </div>
      <p className="muted">Approvals and forms waiting for you, reminders before their deadlines, and what workflows asked to tell you. Unread first.</p>
      <ListStates query={list} what="notifications" empty="No notifications yet">
        {(items) => (
          <ul className="card-list" data-testid="notification-list">
            {items.map((n) => {
              return (
                <li key={n.id} className="card" data-testid="notification" data-unread={n.readAt ? undefined : "true"}>
                  <div className="card-main">
                    <span className="card-title">
                      {n.readAt ? null : <span className="badge badge-warning">unread</span>} <Title title={n.title} link={n.link} />
                    </span>
                    {n.body ? <p className="card-description">{n.body}</p> : null}
                    <span className="card-meta">{new Date(n.createdAt).toLocaleString()}</span>
                  </div>
                  {n.readAt ? null : (
                    <button type="button" className="button-quiet" onClick={() => markRead.mutate({ id: n.id })} disabled={markRead.isPending}>
                      Mark read
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </ListStates>
    </section>
  );
}
