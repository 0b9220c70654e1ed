"use client";

import { useEffect } from "react";
import { useStore } from "zustand";
import type { EditorTabContext } from "../editor/side-tabs";
import { TestRunPanel } from "./TestRunPanel";
import { useTestRun } from "./use-test-run";

/** The editor's Test run tab: node states go onto the editor's canvas, the last run's data into its expression previews. */
export function TestRunTab({ ctx }: { ctx: EditorTabContext }) {
  const graph = useStore(ctx.store, (s) => s.graph);
  const selectedNodes = useStore(ctx.store, (s) => s.selectedNodes);
  const testRun = useTestRun(ctx.workflow.id);
  const { setRunOverlay, setSample } = ctx;
  useEffect(() => setRunOverlay(testRun.overlay), [setRunOverlay, testRun.overlay]);
  const data = testRun.detail.data;
  useEffect(() => {
    if (data) setSample({ input: data.input, outputs: data.outputs });
  }, [setSample, data]);
  const selectedNodeId = selectedNodes.size === 1 ? [...selectedNodes][0]! : null;
  return <TestRunPanel workflowId={ctx.workflow.id} draftGraph={graph} testRun={{ ...testRun, selectedNodeId }} beforeStart={ctx.saveNow} />;
}
