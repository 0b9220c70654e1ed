import fc from "fast-check";
import type { AnyNodeMeta, NodeBehavior } from "../../engine/registry";
import { registry } from "../../nodes/catalog";

// Valid configurations for every registered node type, without listing node types: a few
// configuration *shapes* are tried against each descriptor's own zod schema, and a descriptor
// keeps the shapes it accepts. A new node type that accepts none of them fails loudly here.

type Config = Record<string, unknown>;

interface ConfigShape {
  /** A fixed instance, for hand-written graphs and for the acceptance check. */
  example: Config;
  arbitrary: fc.Arbitrary<Config>;
}

/** JSONata that parses; what it evaluates to does not matter to control flow. */
export const EXPRESSIONS = ["input.amount > 100", "$exists(input.email)", "input.tier = 'gold'", "$count(input.items) > 0", "true"];
const expression = fc.constantFrom(...EXPRESSIONS);
/** Plain text: no braces, so it never reads as a template. */
const text = fc.string({ maxLength: 16, unit: fc.constantFrom(..."abcdefghij KLMNOP-_.,!?0123456789") });
const duration = fc.constantFrom("PT5M", "P2D", "PT1H30M", "PT0.5S", "P1W");
const caseNames = fc.uniqueArray(fc.constantFrom("high", "low", "mid", "vip", "other", "b2b"), { minLength: 1, maxLength: 4 });

const SHAPES: ConfigShape[] = [
  { example: {}, arbitrary: fc.constant({}) },
  { example: { description: "" }, arbitrary: fc.record({ description: text }) },
  { example: { condition: "true" }, arbitrary: fc.record({ condition: expression }) },
  {
    example: { condition: "true", maxIterations: 3 },
    arbitrary: fc.record({ condition: expression, maxIterations: fc.integer({ min: 1, max: 50 }) }),
  },
  { example: { expression: "input" }, arbitrary: fc.record({ expression }) },
  {
    example: { fields: { total: "{{ input.amount }}" } },
    arbitrary: fc.record({
      fields: fc.dictionary(fc.constantFrom("total", "name", "note"), fc.oneof(fc.integer(), text, fc.constant("{{ input.name }}"))),
    }),
  },
  {
    example: { workflow: "child" },
    arbitrary: fc.record({ workflow: fc.constantFrom("child", "billing"), input: fc.constantFrom({}, { id: "{{ input.id }}" }) }, { requiredKeys: ["workflow"] }),
  },
  {
    example: { cases: [{ port: "high", when: "true" }] },
    arbitrary: caseNames.chain((ports) =>
      fc.tuple(...ports.map(() => expression)).map((whens) => ({ cases: ports.map((port, i) => ({ port, when: whens[i] })) })),
    ),
  },
  {
    example: { items: "input.items" },
    arbitrary: fc.record({ items: expression, maxItems: fc.integer({ min: 1, max: 100 }) }, { requiredKeys: ["items"] }),
  },
  { example: { duration: "PT5M" }, arbitrary: fc.record({ duration }) },
  {
    // With `risk`, which only an approval's config has.
    example: { title: "Send it?", risk: "medium" },
    arbitrary: fc.record(
      { title: text.map((t) => `Check ${t}`), risk: fc.constantFrom("low", "medium", "high"), proposal: fc.constantFrom("{{ input.draft }}", { to: "a@b.c" }), deadline: duration },
      { requiredKeys: ["title", "risk"] },
    ),
  },
  {
    example: { url: "https://api.example.test/hook" },
    arbitrary: fc.record(
      {
        method: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE"),
        url: fc.constantFrom("https://api.example.test/hook", "https://api.example.test/items/{{ input.id }}"),
        headers: fc.constantFrom({}, { "X-Trace": "{{ input.trace }}" }),
        body: fc.constantFrom({ id: 1 }, "{{ input }}"),
        auth: fc.constantFrom({ credential: "shop-api" }),
        maxResponseBytes: fc.integer({ min: 1, max: 1024 * 1024 }),
      },
      { requiredKeys: ["url"] },
    ),
  },
  { example: { outcome: "failure" }, arbitrary: fc.record({ outcome: fc.constantFrom("success", "failure") }) },
  {
    example: { cron: "0 9 * * 1-5", timezone: "Europe/Berlin" },
    arbitrary: fc.record(
      {
        cron: fc.constantFrom("0 9 * * 1-5", "*/15 * * * *", "30 2 1 * *"),
        timezone: fc.constantFrom("UTC", "Europe/Berlin", "America/New_York"),
        missedFire: fc.constantFrom("skip", "runOnce"),
        overlap: fc.constantFrom("skip", "queue"),
      },
      { requiredKeys: ["cron"] },
    ),
  },
  {
    example: { title: "Shipping details", fields: [{ name: "address", label: "Address", type: "textarea", required: true }] },
    arbitrary: fc.record(
      {
        title: fc.constantFrom("Shipping details", "Details for {{ input.name }}"),
        fields: fc.constantFrom(
          [{ name: "address", label: "Address", type: "textarea", required: true }],
          [
            { name: "plan", label: "Plan", type: "select", options: ["basic", "pro"], default: "basic" },
            { name: "seats", label: "Seats", type: "number", default: 1 },
            { name: "email", label: "Billing email", type: "email", default: "{{ input.email }}" },
          ],
        ),
        deadline: duration,
        onDeadline: fc.constantFrom("decline", "escalate"),
      },
      { requiredKeys: ["title", "fields"] },
    ),
  },
  { example: { respond: "result" }, arbitrary: fc.record({ respond: fc.constantFrom("accepted", "result"), timeoutSeconds: fc.integer({ min: 1, max: 120 }) }) },
  {
    example: { email: "{{ input.email }}", name: "Ada" },
    arbitrary: fc.record({ email: fc.constantFrom("{{ input.email }}", "ada@example.test"), name: fc.constantFrom("Ada", "{{ input.name }}") }),
  },
  { example: { email: "{{ input.email }}" }, arbitrary: fc.record({ email: fc.constantFrom("{{ input.email }}", "ada@example.test") }) },
  {
    example: { contactEmail: "{{ input.email }}", currency: "EUR", lines: [{ description: "Setup", quantity: 1, unitMinor: 5000 }] },
    arbitrary: fc.record({
      contactEmail: fc.constantFrom("{{ input.email }}", "ada@example.test"),
      currency: fc.constantFrom("EUR", "USD"),
      lines: fc.constantFrom([{ description: "Setup", quantity: 1, unitMinor: 5000 }], [{ description: "Hours", quantity: "{{ input.hours }}", unitMinor: 9000 }]),
    }),
  },
  {
    example: { to: "{{ input.email }}", subject: "Hello" },
    arbitrary: fc.record({ to: fc.constantFrom("{{ input.email }}", "ada@example.test"), subject: fc.constantFrom("Hello", "Re: {{ input.subject }}"), text: text }),
  },
  {
    // With `body`, which an approval's config does not have, so only notifications take it.
    example: { title: "Check {{ input.name }}", body: "" },
    arbitrary: fc.record({ title: fc.constantFrom("Check {{ input.name }}", "Heads up"), body: text, link: fc.constantFrom("/audit", "https://example.test/x") }, { requiredKeys: ["title", "body"] }),
  },
  {
    example: { subject: "contact:{{ input.email }}", text: "Signed up" },
    arbitrary: fc.record({ subject: fc.constantFrom("contact:{{ input.email }}", "project:blog"), kind: fc.constantFrom("note", "support"), text: fc.constantFrom("Signed up", "Said: {{ input.message }}") }),
  },
  {
    example: { model: "gpt-4o-mini", prompt: "Summarise {{ input.message }}" },
    arbitrary: fc.record(
      { model: fc.constantFrom("gpt-4o-mini", "llama3.1"), system: text, prompt: fc.constantFrom("Summarise {{ input.message }}", "Say hello"), temperature: fc.constantFrom(0, 0.7), json: fc.boolean() },
      { requiredKeys: ["prompt"] },
    ),
  },
  {
    example: { model: "gpt-4o-mini", input: "{{ input.message }}", schema: { type: "object", properties: { email: { type: "string" } }, required: ["email"] } },
    arbitrary: fc.record(
      {
        input: fc.constantFrom("{{ input.message }}", "Ada <ada@example.test>"),
        schema: fc.constantFrom({ type: "object", properties: { email: { type: "string" } }, required: ["email"] }, { type: "object", properties: { total: { type: "number", minimum: 0 } } }),
        maxTokens: fc.integer({ min: 1, max: 4000 }),
      },
      { requiredKeys: ["input", "schema"] },
    ),
  },
  {
    // Labels name output ports, like a switch's cases.
    example: { model: "gpt-4o-mini", text: "{{ input.message }}", labels: ["billing", "other"] },
    arbitrary: fc.record({
      text: fc.constantFrom("{{ input.message }}", "plain text"),
      labels: fc.uniqueArray(fc.constantFrom("high", "low", "mid", "vip", "other", "b2b"), { minLength: 2, maxLength: 4 }),
    }),
  },
  {
    example: { query: "{{ input.question }}", subject: "contact:{{ input.email }}", topK: 3 },
    arbitrary: fc.record(
      { query: fc.constantFrom("{{ input.question }}", "billing problems"), subject: fc.constantFrom("contact:{{ input.email }}", "project:blog"), kinds: fc.constantFrom(["note"], ["note", "support"]), topK: fc.integer({ min: 1, max: 50 }), minScore: fc.constantFrom(0, 0.3) },
      { requiredKeys: ["query"] },
    ),
  },
  {
    example: { contactEmail: "{{ input.email }}", title: "Onboarding" },
    arbitrary: fc.record(
      { contactEmail: fc.constantFrom("{{ input.email }}", "ada@example.test"), title: fc.constantFrom("Onboarding", "Deal for {{ input.name }}"), stage: fc.constantFrom("lead", "won"), amountMinor: fc.integer({ min: 0, max: 100_000 }) },
      { requiredKeys: ["contactEmail", "title"] },
    ),
  },
  {
    example: { label: "support", description: "Questions and problems from customers" },
    arbitrary: fc.record({ label: fc.constantFrom("support", "billing", "content_requests"), description: fc.constantFrom("Questions and problems", "Invoices and payments") }),
  },
  { example: { number: "INV-000001", status: "paid" }, arbitrary: fc.record({ number: fc.constantFrom("INV-000001", "{{ input.invoice }}"), status: fc.constantFrom("sent", "paid", "void") }) },
];

function acceptedShapes(meta: AnyNodeMeta): ConfigShape[] {
  const accepts = (config: Config) => meta.config.safeParse(config).success;
  const shapes = SHAPES.filter((shape) => accepts(shape.example));
  for (const shape of shapes) {
    const rejected = fc.sample(shape.arbitrary, { numRuns: 30, seed: 7 }).find((c) => !accepts(c));
    if (rejected) throw new Error(`${meta.type}@${meta.version} rejects a sample config ${JSON.stringify(rejected)}`);
  }
  if (shapes.length === 0) throw new Error(`no sample configuration fits ${meta.type}@${meta.version}: add a shape to test/graph/node-samples.ts`);
  return shapes;
}

const SHAPES_BY_META = new Map(registry.all().map((meta) => [meta, acceptedShapes(meta)]));

function shapesOf(meta: AnyNodeMeta): ConfigShape[] {
  const shapes = SHAPES_BY_META.get(meta);
  if (!shapes) throw new Error(`${meta.type}@${meta.version} is not in the registry`);
  return shapes;
}

export function configArbitrary(meta: AnyNodeMeta): fc.Arbitrary<Config> {
  return fc.oneof(...shapesOf(meta).map((s) => s.arbitrary));
}

export function exampleConfig(meta: AnyNodeMeta): Config {
  return structuredClone(shapesOf(meta)[0]!.example);
}

/** Output port ids of a node with this (raw) configuration, as the descriptor defines them. */
export function portsOf(meta: AnyNodeMeta, config: unknown): string[] {
  return meta.outputs(meta.config.parse(config)).map((p) => p.id);
}

export function metasWith(behavior: NodeBehavior): AnyNodeMeta[] {
  return registry.all().filter((m) => m.behavior === behavior);
}

/** The first registered descriptor with this behavior that satisfies `test` (for hand-made graphs). */
export function findMeta(behavior: NodeBehavior, test: (meta: AnyNodeMeta) => boolean = () => true): AnyNodeMeta {
  const meta = metasWith(behavior).find(test);
  if (!meta) throw new Error(`no ${behavior} node type fits`);
  return meta;
}
