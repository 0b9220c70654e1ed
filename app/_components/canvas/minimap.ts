import type { Node } from "@xyflow/react";
import type { KeelNodeData } from "./flow-model";

const COLORS: Record<string, string> = { trigger: "#2f6fdb", logic: "#8a5cd1", human: "#d08a1a", adapter: "#1f8f6a" };

export function minimapColor(node: Node): string {
  const data = node.data as KeelNodeData | undefined;
  if (data?.problems?.length) return "#b42318";
  return COLORS[data?.meta?.category ?? ""] ?? "#8a929c";
}

export const MINIMAP_STYLE = { width: 150, height: 100 } as const;
