"use client";

import { useQuery } from "@tanstack/react-query";
import { ListStates } from "../../_components/ListStates";
import { useTRPC } from "../../_trpc/client";

export default function OutboxPage() {
  const trpc = useTRPC();
  const mail = useQuery(trpc.outbox.list.queryOptions({}));
  return (
    <section>
      <div className="page-header">
        <h1>Email</h1>
      </div>
      <p className="muted">
        Email that workflows sent, and email they could not send because no SMTP credential was given: those stay here, marked
        <strong> not sent</strong>.
      </p>
      <ListStates query={mail} what="email" empty="No email yet">
        {(list) => (
          <table className="table" data-testid="outbox-table">
            <thead>
              <tr>
                <th>Status</th>
                <th>To</th>
                <th>Subject</th>
                <th>From</th>
                <th>When</th>
              </tr>
            </thead>
            <tbody>
              {list.map((m) => (
                <tr key={m.id} data-testid="outbox-row">
                  <td>{m.status === "sent" ? <span className="badge badge-accent">sent</span> : <span className="badge badge-warning">not sent</span>}</td>
                  <td>{m.to}</td>
                  <td title={m.text}>{m.subject}</td>
                  <td>{m.from}</td>
                  <td>{new Date(m.sentAt ?? m.createdAt).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ListStates>
    </section>
  );
}
