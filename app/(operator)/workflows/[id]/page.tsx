"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { Editor } from "../../../_components/editor/Editor";
import { retryUnlessClientError } from "../../../_components/query-retry";
import { routeParam } from "../../../_components/route-param";
import { useTRPC } from "../../../_trpc/client";

export default function WorkflowPage() {
  const params = useParams<{ id: string }>();
  const id = routeParam(params.id);
  const trpc = useTRPC();
  // Loaded once: from here on the editor owns the draft (refetching would overwrite edits).
  const workflow = useQuery(trpc.workflow.get.queryOptions({ id }, { enabled: id.length > 0, retry: retryUnlessClientError, staleTime: Infinity, refetchOnMount: "always" }));

  return (
    <section className="editor-page">
      <p className="breadcrumb">
        <Link href="/workflows">← Workflows</Link>
      </p>
      {id.length === 0 ? (
        <div className="state state-error" role="alert">
          No workflow id in the address.
        </div>
      ) : workflow.isPending ? (
        <div className="editor-skeleton" role="status">
          Loading workflow…
        </div>
      ) : workflow.isError ? (
        <div className="state state-error" role="alert">
          <strong>{workflow.error.data?.code === "NOT_FOUND" ? "Workflow not found." : "Could not load this workflow."}</strong> {workflow.error.message}
        </div>
      ) : (
        <>
          <title>{`${workflow.data.name} · Keel`}</title>
          <Editor key={workflow.data.id} workflow={workflow.data} />
        </>
      )}
    </section>
  );
}
