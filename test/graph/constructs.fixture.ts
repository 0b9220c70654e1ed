import type { Graph } from "../../engine/graph/schema";
import { e, n } from "../support/graph-builders";

// One small graph per construct, shared by the golden compiler tests and the behaviour tests.
// Node types appear as strings here because these are documents as an operator saves them.

const graph = (nodes: Graph["nodes"], edges: Graph["edges"]): Graph => ({ schemaVersion: 1, nodes, edges });

export const CONSTRUCTS: Record<string, Graph> = {
  linear: graph(
    [n("start", "trigger.manual"), n("shape", "data.transform", { expression: "{ 'total': input.a + input.b }" }), n("done", "flow.end", { outcome: "success" })],
    [e("e1", "start", "shape"), e("e2", "shape", "done")],
  ),
  "if-else-merge": graph(
    [
      n("start", "trigger.manual"),
      n("big", "logic.if", { condition: "input.amount > 100" }),
      n("review", "data.set", { fields: { tier: "review" } }),
      n("auto", "data.set", { fields: { tier: "auto" } }),
      n("merge", "logic.merge"),
      n("done", "flow.end"),
    ],
    [e("e1", "start", "big"), e("e2", "big", "review", "true"), e("e3", "big", "auto", "false"), e("e4", "review", "merge"), e("e5", "auto", "merge"), e("e6", "merge", "done")],
  ),
  switch: graph(
    [
      n("start", "trigger.manual"),
      n("route", "logic.switch", { cases: [{ port: "billing", when: "input.topic = 'billing'" }, { port: "bug", when: "input.topic = 'bug'" }] }),
      n("billing", "flow.end", { outcome: "success" }),
      n("other", "flow.end", { outcome: "failure" }),
    ],
    // The `bug` case has no edge: taking it ends the run (implicit end).
    [e("e1", "start", "route"), e("e2", "route", "billing", "billing"), e("e3", "route", "other", "default")],
  ),
  "for-each": graph(
    [n("start", "trigger.manual"), n("each", "loop.forEach", { items: "input.orders" }), n("bill", "data.transform", { expression: "$" }), n("done", "flow.end")],
    [e("e1", "start", "each"), e("e2", "each", "bill", "item"), e("e3", "bill", "each"), e("e4", "each", "done", "done")],
  ),
  "repeat-until": graph(
    [n("start", "trigger.manual"), n("poll", "loop.until", { condition: "input.ready = true", maxIterations: 10 }), n("check", "flow.delay", { duration: "PT1M" })],
    [e("e1", "start", "poll"), e("e2", "poll", "check", "again"), e("e3", "check", "poll")],
  ),
  "parallel-join": graph(
    [
      n("start", "trigger.manual"),
      n("fork", "flow.fork"),
      n("mail", "data.set", { fields: { sent: true } }),
      n("crm", "data.set", { fields: { saved: true } }),
      n("join", "flow.join"),
      n("done", "flow.end"),
    ],
    [e("e1", "start", "fork"), e("e2", "fork", "mail"), e("e3", "fork", "crm"), e("e4", "mail", "join"), e("e5", "crm", "join"), e("e6", "join", "done")],
  ),
  "approval-delay-error": graph(
    [
      n("start", "trigger.manual"),
      n("ask", "human.approval", { title: "Send {{ input.subject }}?" }),
      n("wait", "flow.delay", { duration: "PT10M" }),
      n("child", "flow.subworkflow", { workflow: "send-mail", input: { subject: "{{ input.subject }}" } }),
      n("sent", "flow.end", { outcome: "success" }),
      n("failed", "flow.end", { outcome: "failure" }),
      n("declined", "flow.end", { outcome: "success" }),
    ],
    [
      e("e1", "start", "ask"),
      e("e2", "ask", "wait", "approved"),
      e("e3", "ask", "declined", "rejected"),
      e("e4", "wait", "child"),
      e("e5", "child", "sent"),
      e("e6", "child", "failed", "error"),
    ],
  ),
};
