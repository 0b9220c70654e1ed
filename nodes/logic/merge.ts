import { z } from "zod";
import { defineNode } from "../define";

export const mergeNode = defineNode({
  type: "logic.merge",
  version: 1,
  title: "Merge",
  category: "logic",
  description: "Brings alternative paths (after an if or a switch) back together; passes on what arrived.",
  icon: "merge",
  behavior: "task",
  effects: "none",
  config: z.object({}).strict(),
});
