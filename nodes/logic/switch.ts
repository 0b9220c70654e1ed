import { z } from "zod";
import { defineNode, withHelp } from "../define";

const PORT = /^[a-z][a-z0-9_-]*$/;

export const switchNode = defineNode({
  type: "logic.switch",
  version: 1,
  title: "Switch",
  category: "logic",
  description: "Follows the first case whose JSONata condition holds, or `default` when none does.",
  icon: "route",
  behavior: "task",
  effects: "none",
  config: z
    .object({
      cases: withHelp(
        z
          .array(
            z
              .object({
                port: z.string().regex(PORT, "must be lowercase letters, digits, _ or -, starting with a letter").max(40),
                when: z.string().min(1, "is required").max(2000),
              })
              .strict(),
          )
          .min(1, "needs at least one case")
          .max(50),
        "The cases in order, each an output port name and a JSONata condition (when); the first that holds is followed, and `default` when none does.",
        [[{ port: "large", when: "input.amount > 1000" }, { port: "small", when: "input.amount > 0" }]],
      ),
    })
    .strict()
    .superRefine((c, ctx) => {
      const seen = new Set<string>();
      c.cases.forEach((item, i) => {
        if (item.port === "default") {
          ctx.addIssue({ code: "custom", path: ["cases", i, "port"], message: "'default' is reserved for when no case holds" });
        } else if (seen.has(item.port)) {
          ctx.addIssue({ code: "custom", path: ["cases", i, "port"], message: `'${item.port}' is used by two cases` });
        }
        seen.add(item.port);
      });
    }),
  outputs: (c) => [...c.cases.map((item) => ({ id: item.port, label: item.port })), { id: "default", label: "default" }],
  expressions: (c) => c.cases.map((item, i) => ({ path: `cases.${i}.when`, source: item.when, kind: "jsonata" as const })),
});
