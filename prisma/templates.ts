import { GRAPH_SCHEMA_VERSION, type Graph, type GraphEdge, type GraphNode } from "../engine/graph/schema";

// Template workflows shipped with Keel and seeded once on first start. Node types follow the
// registry in nodes/; the graph tests validate these templates against it.

export interface Template {
  slug: string;
  name: string;
  description: string;
  graph: Graph;
}

type NodeSpec = Omit<GraphNode, "position" | "typeVersion"> & { typeVersion?: number; col: number; row?: number };

/** Places nodes on a grid: `col` left to right, `row` offsets a branch vertically. */
function layout(nodes: NodeSpec[]): GraphNode[] {
  return nodes.map(({ row = 0, col, typeVersion = 1, ...node }) => ({ ...node, typeVersion, position: { x: col * 240, y: row * 160 } }));
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

// Mail goes out through the SMTP credential named "smtp" as soon as one exists (Settings →
// Credentials); until then each email stays in the outbox as not sent, and the step's output
// says why. No credential is needed to try the templates.
const MAIL = { credential: "smtp", ifCredentialMissing: "outbox" } as const;

// Where an LLM would write or classify, each template branches on "LLM available?": with an
// endpoint the LLM path runs; without one, rules classify and the operator writes in a form.
// Both paths are on the canvas; neither hides inside a node.

export const TEMPLATES: Template[] = [
  {
    slug: "customer-onboarding",
    name: "Customer onboarding",
    description: "Record a new customer, send a welcome email, open a deal, check in after a delay (two days; change it on the Wait node) and remember the onboarding.",
    graph: {
      schemaVersion: GRAPH_SCHEMA_VERSION,
      nodes: layout([
        {
          id: "signup",
          col: 0,
          type: "trigger.intent",
          label: "New customer",
          config: {
            label: "onboarding",
            description: "a new customer signed up, bought, or asks to get started",
            fields: [
              { name: "company", description: "the customer's company" },
              { name: "source", description: "how they found us" },
            ],
            sample: {
              text: "New customer: Ada Lovelace of Analytical Engines signed up after a referral.",
              email: "ada@example.com",
              name: "Ada Lovelace",
              fields: { company: "Analytical Engines", source: "a referral" },
            },
          },
        },
        { id: "contact", col: 1, type: "records.upsertContact", label: "Save contact", config: { email: "{{ input.email }}", name: "{{ input.name }}", company: "{{ input.company }}" } },
        {
          id: "welcome",
          col: 2,
          type: "email.send",
          label: "Welcome email",
          config: { to: "{{ input.email }}", subject: "Welcome aboard, {{ input.name }}", text: "Glad to have you with us. Reply to this email whenever you need anything.", ...MAIL },
        },
        { id: "deal", col: 3, type: "records.createDeal", label: "Create deal", config: { contactEmail: "{{ input.email }}", title: "Onboarding {{ input.name }}", stage: "onboarding" } },
        // A test run (input.test = true) skips the wait, visibly, instead of sleeping two days.
        { id: "testRun", col: 4, type: "logic.if", label: "Test run?", config: { condition: "input.test = true" } },
        { id: "wait", col: 5, row: 1, type: "flow.delay", label: "Wait two days", config: { duration: "P2D" } },
        { id: "afterWait", col: 6, type: "logic.merge", label: "Check-in time", config: {} },
        {
          id: "checkin",
          col: 7,
          type: "email.send",
          label: "Check-in email",
          config: { to: "{{ input.email }}", subject: "How is it going, {{ input.name }}?", text: "Anything I can help with?", ...MAIL },
        },
        {
          id: "remember",
          col: 8,
          type: "memory.remember",
          label: "Remember the onboarding",
          config: { subject: "contact:{{ input.email }}", kind: "note", text: "Onboarded {{ input.name }} ({{ input.company }}), signed up via {{ input.source }}; deal '{{ deal.title }}' opened; welcome and check-in emails {{ checkin.status }}." },
        },
        { id: "done", col: 9, type: "flow.end", label: "Onboarded", config: { outcome: "success" } },
      ]),
      edges: edges(
        ["signup", "contact"],
        ["contact", "welcome"],
        ["welcome", "deal"],
        ["deal", "testRun"],
        ["testRun", "wait", "false"],
        ["testRun", "afterWait", "true"],
        ["wait", "afterWait"],
        ["afterWait", "checkin"],
        ["checkin", "remember"],
        ["remember", "done"],
      ),
    },
  },
  {
    slug: "support-triage",
    name: "Support triage",
    description: "Classify a support request, recall the customer's history, draft an answer (the LLM, or you in a form without one), approve or edit it, send it and remember the exchange.",
    graph: {
      schemaVersion: GRAPH_SCHEMA_VERSION,
      nodes: layout([
        {
          id: "request",
          col: 0,
          type: "trigger.intent",
          label: "Support request",
          config: {
            label: "support",
            description: "a customer needs help: something does not work, a question about a bill or their account, how to do something",
            sample: { text: "Hi, I was charged twice for my subscription this month. Can you refund one of them?", email: "grace@example.com", name: "Grace Hopper" },
          },
        },
        { id: "llmClassify", col: 1, type: "logic.llmAvailable", label: "LLM available?", config: {} },
        {
          id: "classify",
          col: 2,
          row: -1,
          type: "llm.classify",
          label: "Classify (LLM)",
          config: {
            text: "{{ input.text }}",
            labels: [
              { label: "billing", description: "invoices, payments, refunds, prices" },
              { label: "bug", description: "something in the product does not work" },
              { label: "question", description: "how to do something, or a general question" },
              { label: "other", description: "anything else" },
            ],
          },
        },
        {
          id: "rules",
          col: 2,
          row: 1,
          type: "logic.switch",
          label: "Classify (rules)",
          config: {
            cases: [
              { port: "billing", when: '$contains($lowercase(input.text), /invoice|charge|refund|payment|bill|price/)' },
              { port: "bug", when: '$contains($lowercase(input.text), /crash|error|broken|bug|does not work|doesn.t work/)' },
              { port: "question", when: '$contains($lowercase(input.text), /how |what |can i|\\?/)' },
            ],
          },
        },
        { id: "classified", col: 3, type: "logic.merge", label: "Classified", config: {} },
        {
          id: "category",
          col: 4,
          type: "data.transform",
          label: "Category",
          config: { expression: '{ "label": $exists(classify.label) ? classify.label : (rules.case = "default" ? "other" : rules.case), "by": $exists(classify.label) ? "llm" : "rules" }' },
        },
        { id: "recall", col: 5, type: "memory.recall", label: "Recall customer history", config: { subject: "contact:{{ input.email }}", query: "{{ input.text }}", topK: 5 } },
        { id: "llmDraft", col: 6, type: "logic.llmAvailable", label: "LLM available?", config: {} },
        {
          id: "draft",
          col: 7,
          row: -1,
          type: "llm.chat",
          label: "Draft answer (LLM)",
          config: {
            system: "You answer support requests for a small business. Be brief and kind. Sign as the team.",
            prompt: "Request ({{ category.label }}) from {{ input.name }}:\n{{ input.text }}\n\nWhat we know about them:\n{{ recall.text }}",
          },
        },
        {
          id: "write",
          col: 7,
          row: 1,
          type: "human.form",
          label: "Write answer",
          config: {
            title: "Answer {{ input.name }} ({{ category.label }})",
            instructions: "Request:\n{{ input.text }}\n\nWhat we know about them:\n{{ recall.text }}",
            fields: [{ name: "text", label: "Answer", type: "textarea", required: true }],
          },
        },
        { id: "drafted", col: 8, type: "logic.merge", label: "Drafted", config: {} },
        { id: "answer", col: 9, type: "data.transform", label: "Answer", config: { expression: '{ "text": $exists(write.text) ? write.text : draft.text }' } },
        {
          id: "review",
          col: 10,
          type: "human.approval",
          // Version 2: the proposal's typed fields give the queue an edit form instead of raw JSON.
          typeVersion: 2,
          label: "Approve answer",
          config: {
            title: "Send this answer to {{ input.email }}?",
            instructions: "Edit the text before approving if it needs it: what you approve is what is sent.",
            proposal: { text: "{{ answer.text }}" },
            proposalSchema: [{ name: "text", label: "Answer", type: "textarea", required: true }],
            risk: "medium",
          },
        },
        { id: "send", col: 11, type: "email.send", label: "Send answer", config: { to: "{{ input.email }}", subject: "Re: your request", text: "{{ review.text }}", ...MAIL } },
        {
          id: "remember",
          col: 12,
          type: "memory.remember",
          label: "Remember the exchange",
          config: { subject: "contact:{{ input.email }}", kind: "support", text: "Support request ({{ category.label }}): {{ input.text }}\nAnswer sent: {{ review.text }}" },
        },
        { id: "done", col: 13, type: "flow.end", label: "Answered", config: { outcome: "success" } },
        { id: "dropped", col: 11, row: 1, type: "flow.end", label: "Not sent", config: { outcome: "success" } },
      ]),
      edges: edges(
        ["request", "llmClassify"],
        ["llmClassify", "classify", "yes"],
        ["llmClassify", "rules", "no"],
        // Every label goes on to the same steps here; the category is in the draft's prompt.
        ["classify", "classified", "billing"],
        ["classify", "classified", "bug"],
        ["classify", "classified", "question"],
        ["classify", "classified", "other"],
        ["rules", "classified", "billing"],
        ["rules", "classified", "bug"],
        ["rules", "classified", "question"],
        ["rules", "classified", "default"],
        ["classified", "category"],
        ["category", "recall"],
        ["recall", "llmDraft"],
        ["llmDraft", "draft", "yes"],
        ["llmDraft", "write", "no"],
        ["draft", "drafted"],
        ["write", "drafted", "submitted"],
        ["write", "dropped", "declined"],
        ["drafted", "answer"],
        ["answer", "review"],
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
    description: "Draft a post (the LLM, or you in a form without one), review and edit it, publish it through an HTTP API and remember what was published.",
    graph: {
      schemaVersion: GRAPH_SCHEMA_VERSION,
      nodes: layout([
        {
          id: "topic",
          col: 0,
          type: "trigger.intent",
          label: "Post request",
          config: {
            label: "content",
            description: "write or publish a blog post, article or announcement",
            fields: [
              { name: "topic", description: "what the post is about (default: the request's text)" },
              { name: "publishUrl", description: "the CMS endpoint the post is POSTed to as { title, body }" },
            ],
            sample: { text: "Write a post announcing our new online booking page.", fields: { topic: "our new online booking page", publishUrl: "https://cms.example.com/api/posts" } },
          },
        },
        { id: "llmDraft", col: 1, type: "logic.llmAvailable", label: "LLM available?", config: {} },
        {
          id: "draft",
          col: 2,
          row: -1,
          type: "llm.chat",
          label: "Draft post (LLM)",
          config: { system: "You write clear, friendly blog posts for a small business.", prompt: "Write a short post about {{ $exists(input.topic) ? input.topic : input.text }}." },
        },
        {
          id: "write",
          col: 2,
          row: 1,
          type: "human.form",
          label: "Write post",
          config: {
            title: "Write the post",
            instructions: "Requested: {{ input.text }}",
            fields: [
              { name: "title", label: "Title", type: "text", required: true },
              { name: "body", label: "Body", type: "textarea", required: true },
            ],
          },
        },
        { id: "drafted", col: 3, type: "logic.merge", label: "Drafted", config: {} },
        {
          id: "post",
          col: 4,
          type: "data.transform",
          label: "Post",
          config: { expression: '{ "title": $exists(write.title) ? write.title : ($exists(input.topic) ? input.topic : input.text), "body": $exists(write.body) ? write.body : draft.text }' },
        },
        {
          id: "review",
          col: 5,
          type: "human.approval",
          typeVersion: 2,
          label: "Review post",
          config: {
            title: "Publish '{{ post.title }}'?",
            instructions: "Edit the title or body before approving if they need it: what you approve is what is published.",
            proposal: { title: "{{ post.title }}", body: "{{ post.body }}" },
            proposalSchema: [
              { name: "title", label: "Title", type: "text", required: true },
              { name: "body", label: "Body", type: "textarea", required: true },
            ],
            risk: "high",
          },
        },
        { id: "publish", col: 6, type: "http.request", label: "Publish", config: { method: "POST", url: "{{ input.publishUrl }}", body: { title: "{{ review.title }}", body: "{{ review.body }}" } } },
        { id: "remember", col: 7, type: "memory.remember", label: "Remember the post", config: { subject: "project:blog", kind: "published", text: "Published '{{ review.title }}': {{ review.body }}" } },
        { id: "done", col: 8, type: "flow.end", label: "Published", config: { outcome: "success" } },
        { id: "dropped", col: 6, row: 1, type: "flow.end", label: "Not published", config: { outcome: "success" } },
      ]),
      edges: edges(
        ["topic", "llmDraft"],
        ["llmDraft", "draft", "yes"],
        ["llmDraft", "write", "no"],
        ["draft", "drafted"],
        ["write", "drafted", "submitted"],
        ["write", "dropped", "declined"],
        ["drafted", "post"],
        ["post", "review"],
        ["review", "publish", "approved"],
        ["review", "dropped", "rejected"],
        ["publish", "remember"],
        ["remember", "done"],
      ),
    },
  },
];
