import { z } from "zod";
import { defineNode } from "../define";

export const manualTrigger = defineNode({
  type: "trigger.manual",
  version: 1,
  title: "Manual start",
  category: "trigger",
  description: "Starts a run by hand (the Run button, `keel run`, the API), with the input given.",
  icon: "play",
  behavior: "trigger",
  config: z.object({ description: z.string().max(500).default("") }).strict(),
  inputs: [],
});
