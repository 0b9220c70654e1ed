"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { ListStates } from "../../_components/ListStates";
import { useTRPC } from "../../_trpc/client";

const subjectHref = (subject: string) => `/memory/${encodeURIComponent(subject)}`;

export default function MemoryPage() {
  const trpc = useTRPC();
  const [filter, setFilter] = useState("");
  const status = useQuery(trpc.memory.status.queryOptions());
  const subjects = useQuery(trpc.memory.subjects.queryOptions(filter ? { search: filter, limit: 200 } : { limit: 200 }));
  return (
    <section>
      <div className="page-header">
        <h1>Memory</h1>
      </div>
      <p className="muted">
        What workflows remembered, per subject, with the run and step that wrote each item. The database holds it all; the search index is
        rebuilt from it with <code>keel memory reindex</code>.
        {status.data ? (
          <>
            {" "}
            {status.data.items} item(s) about {status.data.subjects} subject(s)
            {status.data.index ? `; index ${status.data.index.embedder}${status.data.index.pending ? `, ${status.data.index.pending} waiting to be indexed` : ""}` : "; no search index configured"}.
          </>
        ) : null}
      </p>
      <Search />
      <section className="panel" aria-labelledby="subjects-heading">
        <h2 id="subjects-heading">Subjects</h2>
        <div className="form form-inline">
          <label htmlFor="subject-filter">Filter</label>
          <input id="subject-filter" type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="contact, ada@…" />
        </div>
        <ListStates query={subjects} what="subjects" empty="Nothing remembered yet">
          {(list) => (
            <table className="table" data-testid="memory-subjects">
              <thead>
                <tr>
                  <th>Subject</th>
                  <th>Items</th>
                  <th>Summary</th>
                </tr>
              </thead>
              <tbody>
                {list.map((s) => (
                  <tr key={s.id} data-testid="memory-subject-row">
                    <td>
                      <Link href={subjectHref(s.subject)}>{s.subject}</Link>
                    </td>
                    <td>{s.itemCount}</td>
                    <td className="muted">{s.summary?.text ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </ListStates>
      </section>
      <Retention />
    </section>
  );
}

function Search() {
  const trpc = useTRPC();
  const [draft, setDraft] = useState({ query: "", subject: "" });
  const [asked, setAsked] = useState<{ query: string; subject?: string } | undefined>(undefined);
  const results = useQuery(trpc.memory.search.queryOptions(asked ?? { query: "" }, { enabled: asked !== undefined, retry: false }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!draft.query.trim()) return;
    setAsked({ query: draft.query.trim(), ...(draft.subject.trim() ? { subject: draft.subject.trim() } : {}) });
  };
  return (
    <section className="panel" aria-labelledby="search-heading">
      <h2 id="search-heading">Search by meaning</h2>
      <form onSubmit={submit} className="form form-inline" role="search">
        <label htmlFor="memory-query">Find</label>
        <input id="memory-query" value={draft.query} onChange={(e) => setDraft({ ...draft, query: e.target.value })} placeholder="how does Ada want to be contacted?" />
        <label htmlFor="memory-subject">about</label>
        <input id="memory-subject" value={draft.subject} onChange={(e) => setDraft({ ...draft, subject: e.target.value })} placeholder="any subject (or contact:…)" />
        <button type="submit" className="button-primary">
          Search
        </button>
      </form>
      {asked ? (
        <ListStates query={{ ...results, data: results.data?.items }} what="results" empty="Nothing close enough">
          {(items) => (
            <ol className="memory-results" data-testid="memory-results">
              {items.map((item) => (
                <li key={item.id} data-testid="memory-result">
                  <span className="badge badge-muted">{item.score.toFixed(2)}</span> {item.text}{" "}
                  <span className="muted">
                    — {item.subject ? <Link href={subjectHref(item.subject)}>{item.subject}</Link> : null} · {item.kind}
                  </span>
                </li>
              ))}
            </ol>
          )}
        </ListStates>
      ) : null}
    </section>
  );
}

function Retention() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = useQuery(trpc.memory.retention.queryOptions());
  const [draft, setDraft] = useState({ kind: "", days: "" });
  const save = useMutation(
    trpc.memory.saveRetention.mutationOptions({
      onSuccess: (saved) => {
        queryClient.setQueryData(trpc.memory.retention.queryKey(), saved);
        setDraft({ kind: "", days: "" });
      },
    }),
  );
  const kinds = current.data?.kinds ?? {};
  const add = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({ kinds: { ...kinds, [draft.kind.trim()]: Number(draft.days) } });
  };
  const remove = (kind: string) => save.mutate({ kinds: Object.fromEntries(Object.entries(kinds).filter(([k]) => k !== kind)) });
  return (
    <section className="panel" aria-labelledby="memory-retention-heading">
      <h2 id="memory-retention-heading">Retention per kind</h2>
      <p className="muted">Items of these kinds are deleted (from the database and the index) once older than this; other kinds stay until forgotten.</p>
      {Object.keys(kinds).length > 0 ? (
        <table className="table" data-testid="memory-retention">
          <tbody>
            {Object.entries(kinds).map(([kind, days]) => (
              <tr key={kind}>
                <td>
                  <code>{kind}</code>
                </td>
                <td>{days} days</td>
                <td>
                  <button type="button" className="button-quiet" onClick={() => remove(kind)} disabled={save.isPending}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form onSubmit={add} className="form form-inline">
        <label htmlFor="retention-kind">Keep items of kind</label>
        <input id="retention-kind" required value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value })} placeholder="support" style={{ width: 140 }} />
        <label htmlFor="retention-kind-days">for</label>
        <input id="retention-kind-days" type="number" min={1} step={1} required value={draft.days} onChange={(e) => setDraft({ ...draft, days: e.target.value })} style={{ width: 100 }} />
        <span>days</span>
        <button type="submit" className="button-primary" disabled={save.isPending || current.isPending}>
          Save
        </button>
      </form>
      {save.isError ? (
        <p className="form-error" role="alert">
          {save.error.message}
        </p>
      ) : null}
    </section>
  );
}
