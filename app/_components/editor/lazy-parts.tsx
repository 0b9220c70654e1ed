"use client";

import { lazy } from "react";

// The parts of the editor that the first paint of the canvas does not show: the node form
// (react-hook-form, CodeMirror), the other side-panel tabs, the dialogs and the Run button's
// dialog. Each is its own chunk, so opening a workflow downloads and evaluates the canvas
// and the validator only; `preloadEditorParts` fetches the rest once the canvas is up, so a
// click on a node does not wait for the network.

const loaders = {
  nodePanel: () => import("./NodePanel"),
  workflowLimits: () => import("./WorkflowLimits"),
  publishPanel: () => import("../PublishPanel"),
  shortcuts: () => import("./ShortcutsDialog"),
  statechart: () => import("./StatechartDialog"),
  runButton: () => import("../RunButton"),
  testRun: () => import("../test-run/TestRunTab"),
  backtest: () => import("../backtest/BacktestPanel"),
  versions: () => import("../versions/VersionsPanel"),
};

export const NodePanel = lazy(() => loaders.nodePanel().then((m) => ({ default: m.NodePanel })));
export const WorkflowLimits = lazy(() => loaders.workflowLimits().then((m) => ({ default: m.WorkflowLimits })));
export const PublishPanel = lazy(() => loaders.publishPanel().then((m) => ({ default: m.PublishPanel })));
export const ShortcutsDialog = lazy(() => loaders.shortcuts().then((m) => ({ default: m.ShortcutsDialog })));
export const StatechartDialog = lazy(() => loaders.statechart().then((m) => ({ default: m.StatechartDialog })));
export const RunButton = lazy(() => loaders.runButton().then((m) => ({ default: m.RunButton })));
export const TestRunTab = lazy(() => loaders.testRun().then((m) => ({ default: m.TestRunTab })));
export const BacktestPanel = lazy(() => loaders.backtest().then((m) => ({ default: m.BacktestPanel })));
export const VersionsPanel = lazy(() => loaders.versions().then((m) => ({ default: m.VersionsPanel })));

/** Starts loading every deferred part (the module cache makes repeated calls free). */
export function preloadEditorParts(): void {
  for (const load of Object.values(loaders)) void load().catch(() => undefined);
}
