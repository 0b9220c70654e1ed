import { GRAPH_SCHEMA_VERSION, type Graph, type GraphEdge, type GraphNode } from "../engine/graph/schema";

// Template workflows shipped with Keel and seeded once on first start. Node types follow the
// registry in nodes/; the graph tests validate these templates against it.

export interface Template {
  slug: string;
  name: string;
  description: string;
  graph: Graph;
}

type NodeSpec = Omit<GraphNode, "position" | "typeVersion"> & { typeVersion?: number };

/** Lays nodes out left to right in the order given; `row` offsets a branch vertically. */
function layout(nodes: (NodeSpec & { row?: number })[]): GraphNode[] {
  return nodes.map(({ row = 0, typeVersion = 1, ...node }, column) => ({
    ...node,
    typeVersion,
    position: { x: column * 240, y: row * 140 },
  }));
}

function edges(...pairs: [string, string, string?][]): GraphEdge[] {
  return pairs.map(([source, target, sourcePort = "out"]) => ({
    id: `${source}-${sourcePort === "out" ? "" : `${sourcePort}-`}${target}`,
    source,
    sourcePort,
    target,
    targetPort: "in",
  }));
}

export const TEMPLATES: Template[] = [
  {
    slug: "customer-onboarding",
    name: "Customer onboarding",
    description: "Record a new customer, remember how they found us, send a welcome email and follow up two days later.",
    graph: {
      schemaVersion: GRAPH_SCHEMA_VERSION,
      nodes: layout([
        { id: "start", type: "trigger.manual", label: "New customer", config: {} },
        {
          id: "contact",
          type: "records.upsertContact",
          label: "Save contact",
          config: { email: "{{ input.email }}", name: "{{ input.name }}", company: "{{ input.company }}" },
        },
        {
          id: "remember",
          type: "memory.remember",
          label: "Remember the source",
          config: { subject: "contact:{{ input.email }}", kind: "note", text: "Signed up via {{ input.source }}." },
        },
        {
          id: "welcome",
          type: "email.send",
          label: "Welcome email",
          config: { to: "{{ input.email }}", subject: "Welcome aboard, {{ input.name }}", text: "Glad to have you with us." },
        },
        { id: "wait", type: "flow.delay", label: "Wait two days", config: { duration: "P2D" } },
        {
          id: "followup",
          type: "email.send",
          label: "Follow-up email",
          config: { to: "{{ input.email }}", subject: "How is it going?", text: "Anything I can help with?" },
        },
        { id: "done", type: "flow.end", label: "Onboarded", config: { outcome: "success" } },
      ]),
      edges: edges(["start", "contact"], ["contact", "remember"], ["remember", "welcome"], ["welcome", "wait"], ["wait", "followup"], ["followup", "done"]),
    },
  },
  {
    slug: "support-triage",
    name: "Support triage",
    description: "Classify an incoming support request, draft an answer with context from memory, and send it after approval.",
    graph: {
      schemaVersion: GRAPH_SCHEMA_VERSION,
      nodes: layout([
        { id: "request", type: "trigger.webhook", label: "Support request", config: { respond: "accepted" } },
        {
          id: "classify",
          type: "llm.classify",
          label: "Classify intent",
          config: {
            model: "gpt-4o-mini",
            text: "{{ input.subject }}\n\n{{ input.message }}",
            labels: [
              { label: "billing", description: "invoices, payments, refunds, prices" },
              { label: "bug", description: "something in the product does not work" },
              { label: "question", description: "how to do something, or a general question" },
              { label: "other", description: "anything else" },
            ],
          },
        },
        { id: "recall", type: "memory.recall", label: "Recall customer history", config: { subject: "contact:{{ input.email }}", query: "{{ input.message }}", topK: 5 } },
        {
          id: "draft",
          type: "llm.chat",
          label: "Draft answer",
          config: {
            model: "gpt-4o-mini",
            system: "You answer support requests for a small business. Be brief and kind.",
            prompt: "Request ({{ classify.label }}): {{ input.message }}\nHistory: {{ recall.text }}",
          },
        },
        { id: "review", type: "human.approval", label: "Approve answer", config: { title: "Send this answer?", risk: "medium" } },
        {
          id: "send",
          type: "email.send",
          label: "Send answer",
          config: { to: "{{ input.email }}", subject: "Re: {{ input.subject }}", text: "{{ draft.text }}" },
        },
        { id: "remember", type: "memory.remember", label: "Remember the exchange", config: { subject: "contact:{{ input.email }}", kind: "support", text: "{{ classify.label }}: {{ input.message }}" } },
        { id: "done", type: "flow.end", label: "Answered", config: { outcome: "success" } },
        { id: "dropped", type: "flow.end", label: "Not sent", config: { outcome: "success" }, row: 1 },
      ]),
      edges: edges(
        ["request", "classify"],
        // One port per label; every label goes on to the draft here (the label is in its prompt).
        ["classify", "recall", "billing"],
        ["classify", "recall", "bug"],
        ["classify", "recall", "question"],
        ["classify", "recall", "other"],
        ["recall", "draft"],
        ["draft", "review"],
        ["review", "send", "approved"],
        ["review", "dropped", "rejected"],
        ["send", "remember"],
        ["remember", "done"],
      ),
    },
  },
  {
    slug: "content-publishing",
    name: "Content publishing",
    description: "Draft a post with an LLM, have it reviewed, publish it through an HTTP API and remember what was published.",
    graph: {
      schemaVersion: GRAPH_SCHEMA_VERSION,
      nodes: layout([
        { id: "start", type: "trigger.manual", label: "Topic", config: {} },
        {
          id: "draft",
          type: "llm.chat",
          label: "Draft post",
          config: { model: "gpt-4o-mini", system: "You write clear, friendly blog posts.", prompt: "Write a short post about {{ input.topic }}." },
        },
        { id: "review", type: "human.approval", label: "Review draft", config: { title: "Publish this post?", risk: "high" } },
        {
          id: "publish",
          type: "http.request",
          label: "Publish",
          config: { method: "POST", url: "{{ input.publishUrl }}", body: { title: "{{ input.topic }}", body: "{{ draft.text }}" } },
        },
        { id: "remember", type: "memory.remember", label: "Remember the post", config: { subject: "project:blog", kind: "published", text: "Published: {{ input.topic }}" } },
        { id: "done", type: "flow.end", label: "Published", config: { outcome: "success" } },
        { id: "dropped", type: "flow.end", label: "Not published", config: { outcome: "success" }, row: 1 },
      ]),
      edges: edges(
        ["start", "draft"],
        ["draft", "review"],
        ["review", "publish", "approved"],
        ["review", "dropped", "rejected"],
        ["publish", "remember"],
        ["remember", "done"],
      ),
    },
  },
];
