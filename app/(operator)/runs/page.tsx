"use client";

import { useSearchParams } from "next/navigation";
import { RunsList } from "../../_components/runs/RunsList";

export default function RunsPage() {
  const workflowId = useSearchParams().get("workflow") ?? "";
  return (
    <section>
      <title>Runs · Keel</title>
      <div className="page-header">
        <h1>Runs</h1>
      </div>
      <RunsList key={workflowId} initial={{ workflowId }} />
    </section>
  );
}
