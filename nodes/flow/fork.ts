import { z } from "zod";
import { defineNode } from "../define";

export const forkNode = defineNode({
  type: "flow.fork",
  version: 1,
  title: "Parallel",
  category: "logic",
  description: "Starts every outgoing branch at once; a Join waits for all of them.",
  icon: "columns",
  behavior: "fork",
  config: z.object({}).strict(),
  outputs: [{ id: "out", label: "branches" }],
});
