"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { PublishPanel } from "../../../_components/PublishPanel";
import { RunButton } from "../../../_components/RunButton";
import { WorkflowCanvas } from "../../../_components/WorkflowCanvas";
import { retryUnlessClientError } from "../../../_components/query-retry";
import { routeParam } from "../../../_components/route-param";
import { useTRPC } from "../../../_trpc/client";

export default function WorkflowPage() {
  const params = useParams<{ id: string }>();
  const id = routeParam(params.id);

  const trpc = useTRPC();
  const workflow = useQuery(
    trpc.workflow.get.queryOptions({ id }, { enabled: id.length > 0, retry: retryUnlessClientError }),
  );

  return (
    <section>
      <p className="breadcrumb">
        <Link href="/">← Workflows</Link>
      </p>

      {id.length === 0 ? (
        <div className="state state-error" role="alert">
          No workflow id in the address.
        </div>
      ) : workflow.isPending ? (
        <p className="state" role="status">
          Loading workflow…
        </p>
      ) : workflow.isError ? (
        <div className="state state-error" role="alert">
          <strong>
            {workflow.error.data?.code === "NOT_FOUND" ? "Workflow not found." : "Could not load this workflow."}
          </strong>{" "}
          {workflow.error.message}
        </div>
      ) : (
        <>
          <title>{`${workflow.data.name} · Keel`}</title>
          <div className="page-header">
            <h1>{workflow.data.name}</h1>
            {workflow.data.currentVersion === null ? (
              <span className="badge badge-muted">draft only</span>
            ) : (
              <span className="badge badge-accent">v{workflow.data.currentVersion} published</span>
            )}
            {workflow.data.currentVersion === null ? null : <RunButton workflow={workflow.data.id} />}
          </div>
          {workflow.data.description ? (
            <p className="description">{workflow.data.description}</p>
          ) : (
            <p className="description muted">No description</p>
          )}
          <h2 className="section-title">Draft graph</h2>
          <WorkflowCanvas graph={workflow.data.draftGraph} />
          <PublishPanel workflowId={workflow.data.id} workflowName={workflow.data.name} />
        </>
      )}
    </section>
  );
}
