"use client";

import * as Dialog from "@radix-ui/react-dialog";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../_trpc/client";

// The XState machine the saved draft compiles to, read-only, and a download of it.
export function StatechartDialog({ workflowId, slug, open, onOpenChange }: { workflowId: string; slug: string; open: boolean; onOpenChange: (open: boolean) => void }) {
  const trpc = useTRPC();
  const chart = useQuery(trpc.workflow.statechart.queryOptions({ id: workflowId }, { enabled: open, staleTime: 0 }));
  const text = chart.data?.machine ? JSON.stringify(chart.data.machine, null, 2) : "";
  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = `${slug}.statechart.json`;
    link.click();
    URL.revokeObjectURL(url);
  };
  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog dialog-wide" data-testid="statechart-dialog">
          <Dialog.Title>Statechart</Dialog.Title>
          <Dialog.Description className="muted">The XState machine the saved draft compiles to. Runs follow it step by step.</Dialog.Description>
          {chart.isPending ? (
            <p className="state" role="status">
              Compiling…
            </p>
          ) : chart.isError ? (
            <p className="state state-error" role="alert">
              {chart.error.message}
            </p>
          ) : chart.data.problems.length ? (
            <div className="state state-error" role="alert">
              The draft does not compile until its {chart.data.problems.length} problem(s) are fixed: {chart.data.problems[0]!.message}
            </div>
          ) : (
            <pre className="statechart" data-testid="statechart-json">
              {text}
            </pre>
          )}
          <div className="button-row">
            <button type="button" className="button-quiet" onClick={download} disabled={!text}>
              Export statechart
            </button>
            <Dialog.Close className="button-quiet">Close</Dialog.Close>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
