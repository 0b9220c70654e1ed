"use client";

import type { ReactNode } from "react";
import { BacktestPanel } from "../backtest/BacktestPanel";
import { TestRunTab } from "../test-run/TestRunTab";
import { VersionsPanel } from "../versions/VersionsPanel";
import type { Problem } from "../../../engine/graph/problems";
import type { NodeRegistry } from "../../../engine/registry";
import type { RunOverlay } from "../canvas/run-overlay";
import type { WorkflowDetail } from "../../../server/services/workflows";
import type { SampleData } from "./ExpressionField";
import type { EditorStore } from "./store";

// What a side-panel tab gets: the editor's store and what it shows. A tab that runs the draft
// (test run, backtest) draws node states and taken edges on the canvas through setRunOverlay and feeds the
// expression previews through setSample.
export interface EditorTabContext {
  store: EditorStore;
  registry: NodeRegistry;
  workflow: WorkflowDetail;
  problems: readonly Problem[];
  /** Saves pending edits now; resolves when the server has them (or the save failed). */
  saveNow: () => Promise<void>;
  setRunOverlay: (overlay: RunOverlay | undefined) => void;
  setSample: (sample: SampleData) => void;
}

export interface EditorTab {
  id: string;
  label: string;
  render: (ctx: EditorTabContext) => ReactNode;
}

/** Tabs after the built-in Node, Workflow and Publish tabs: add one here in one line. */
export const EXTRA_SIDE_TABS: EditorTab[] = [
  { id: "test-run", label: "Test run", render: (ctx) => <TestRunTab ctx={ctx} /> },
  { id: "backtest", label: "Backtest", render: (ctx) => <BacktestPanel workflowId={ctx.workflow.id} beforeRun={ctx.saveNow} /> },
  { id: "versions", label: "Versions", render: (ctx) => <VersionsPanel workflowId={ctx.workflow.id} beforeRestore={ctx.saveNow} onRestored={() => window.location.reload()} /> },
];
