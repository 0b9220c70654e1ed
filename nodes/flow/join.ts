import { z } from "zod";
import { defineNode } from "../define";

export const joinNode = defineNode({
  type: "flow.join",
  version: 1,
  title: "Join",
  category: "logic",
  description: "Waits until every branch of its Parallel has arrived; outputs their results by branch.",
  icon: "git-merge",
  behavior: "join",
  config: z.object({}).strict(),
});
