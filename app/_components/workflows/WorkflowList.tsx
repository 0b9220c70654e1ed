"use client";

import * as DropdownMenu from "@radix-ui/react-dropdown-menu";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useDeferredValue, useState } from "react";
import { ImportButton } from "../ImportButton";
import { ListStates } from "../ListStates";
import { useTRPC } from "../../_trpc/client";
import { ConfirmDialog } from "./ModalDialog";
import { NewWorkflowDialog } from "./NewWorkflowDialog";
import { RenameDialog } from "./RenameDialog";
import "./workflows.css";

type Target = { id: string; name: string; archived: boolean };
type Pending = { kind: "rename" | "archive" | "delete"; workflow: Target } | null;

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The workflows list: search, create, and per workflow rename, duplicate, archive, delete. */
export function WorkflowList() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const [showArchived, setShowArchived] = useState(false);
  const [creating, setCreating] = useState(false);
  const [pending, setPending] = useState<Pending>(null);
  const term = useDeferredValue(search.trim());
  const workflows = useQuery(
    trpc.workflow.list.queryOptions({ archived: showArchived, ...(term ? { search: term } : {}) }, { placeholderData: keepPreviousData }),
  );
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.workflow.pathKey() });
  const done = async () => {
    await refresh();
    setPending(null);
  };
  const duplicate = useMutation(trpc.workflow.duplicate.mutationOptions({ onSuccess: (copy) => router.push(`/workflows/${encodeURIComponent(copy.id)}`) }));
  const archive = useMutation(trpc.workflow.setArchived.mutationOptions({ onSuccess: done }));
  const remove = useMutation(trpc.workflow.delete.mutationOptions({ onSuccess: done }));
  const close = () => {
    archive.reset();
    remove.reset();
    setPending(null);
  };

  return (
    <section>
      <div className="page-header">
        <h1>Workflows</h1>
        <button type="button" className="button-primary" onClick={() => setCreating(true)}>
          New workflow
        </button>
        <ImportButton />
      </div>
      <div className="wf-toolbar">
        <input
          type="search"
          className="wf-search"
          placeholder="Search by name or description"
          aria-label="Search workflows"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <label className="wf-toggle">
          <input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.target.checked)} />
          Show archived
        </label>
      </div>
      {duplicate.isError ? (
        <p className="form-error" role="alert">
          Could not duplicate: {duplicate.error.message}
        </p>
      ) : null}

      <ListStates
        query={workflows}
        what="workflows"
        empty={term ? `No workflow matches '${term}'.` : showArchived ? "No archived workflows." : "No workflows yet: create one, or start from a template."}
      >
        {(list) => (
          <ul className="card-list" data-testid="workflow-list">
            {list.map((w) => (
              <li key={w.id} className="card" data-testid="workflow-item" data-workflow-id={w.id}>
                <div className="card-main">
                  <Link href={`/workflows/${encodeURIComponent(w.id)}`} className="card-title">
                    {w.name}
                  </Link>
                  {w.description ? <p className="card-description">{w.description}</p> : <p className="card-description muted">No description</p>}
                </div>
                <dl className="card-meta">
                  <div>
                    <dt>Nodes</dt>
                    <dd data-testid="workflow-node-count">{plural(w.nodeCount, "node", "nodes")}</dd>
                  </div>
                  <div>
                    <dt>Published</dt>
                    <dd data-testid="workflow-version">
                      {w.currentVersion === null ? <span className="badge badge-muted">draft only</span> : <span className="badge badge-accent">v{w.currentVersion}</span>}
                    </dd>
                  </div>
                  <div>
                    <dt>Last run</dt>
                    <dd data-testid="workflow-last-run">
                      {w.lastRun ? (
                        <span className="run-status" data-status={w.lastRun.status} title={new Date(w.lastRun.createdAt).toLocaleString()}>
                          {w.lastRun.status}
                        </span>
                      ) : (
                        <span className="muted">never</span>
                      )}
                    </dd>
                  </div>
                  <div>
                    <dt>Approvals</dt>
                    <dd data-testid="workflow-waiting">
                      {w.waitingApprovals > 0 ? <span className="badge badge-warning">{w.waitingApprovals} waiting</span> : <span className="muted">none</span>}
                    </dd>
                  </div>
                </dl>
                <DropdownMenu.Root>
                  <DropdownMenu.Trigger className="wf-actions-trigger" aria-label={`Actions for ${w.name}`}>
                    ⋯
                  </DropdownMenu.Trigger>
                  <DropdownMenu.Portal>
                    <DropdownMenu.Content className="wf-menu" align="end" sideOffset={4}>
                      <DropdownMenu.Item className="wf-menu-item" onSelect={() => setPending({ kind: "rename", workflow: w })}>
                        Rename…
                      </DropdownMenu.Item>
                      <DropdownMenu.Item className="wf-menu-item" onSelect={() => duplicate.mutate({ id: w.id })}>
                        Duplicate
                      </DropdownMenu.Item>
                      {w.archived ? (
                        <DropdownMenu.Item className="wf-menu-item" onSelect={() => archive.mutate({ id: w.id, archived: false })}>
                          Unarchive
                        </DropdownMenu.Item>
                      ) : (
                        <DropdownMenu.Item className="wf-menu-item" onSelect={() => setPending({ kind: "archive", workflow: w })}>
                          Archive…
                        </DropdownMenu.Item>
                      )}
                      <DropdownMenu.Item className="wf-menu-item danger" onSelect={() => setPending({ kind: "delete", workflow: w })}>
                        Delete…
                      </DropdownMenu.Item>
                    </DropdownMenu.Content>
                  </DropdownMenu.Portal>
                </DropdownMenu.Root>
              </li>
            ))}
          </ul>
        )}
      </ListStates>

      <NewWorkflowDialog open={creating} onOpenChange={setCreating} />
      {pending?.kind === "rename" ? <RenameDialog workflow={pending.workflow} onClose={close} /> : null}
      <ConfirmDialog
        open={pending?.kind === "archive"}
        onOpenChange={(open) => (open ? undefined : close())}
        title={`Archive '${pending?.workflow.name ?? ""}'?`}
        description="It leaves this list and starts no new webhook or scheduled runs. Its versions and runs are kept; unarchive it any time."
        confirmLabel="Archive"
        pending={archive.isPending}
        error={archive.error?.message ?? null}
        onConfirm={() => pending && archive.mutate({ id: pending.workflow.id, archived: true })}
      />
      <ConfirmDialog
        open={pending?.kind === "delete"}
        onOpenChange={(open) => (open ? undefined : close())}
        title={`Delete '${pending?.workflow.name ?? ""}'?`}
        description="The workflow, its draft and its versions are deleted for good. A workflow that has runs cannot be deleted: archive it instead."
        confirmLabel="Delete"
        danger
        pending={remove.isPending}
        error={remove.error?.message ?? null}
        onConfirm={() => pending && remove.mutate({ id: pending.workflow.id })}
      />
    </section>
  );
}
