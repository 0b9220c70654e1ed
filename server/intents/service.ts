import { z } from "zod";
import { ConflictError, NotFoundError, ValidationError } from "../../engine/errors";
import { assertJsonWithin } from "../../engine/json-bytes";
import { LIMITS } from "../../engine/limits";
import { isUniqueViolation, json, type Db } from "../../engine/store";
import type { MemoryIndex } from "../../infra/memory/memory-index";
import { indexItems, recall } from "../../infra/memory/memory-store";
import { audit } from "../services/audit";
import type { RunService } from "../services/runs";
import { zodIssues } from "../services/zod-issues";
import { routeIntent, type IntentForRouting, type IntentTarget, type LlmLabel, type RouteDecision } from "./router";
import { readIntentRouting } from "./settings";
import { acceptingWorkflows, type AcceptingWorkflow } from "./targets";
import type { Neighbour } from "./vote";

// The coordinator's service: intents arrive (API, signed webhook, inbound email, the app's
// form, "Try it"), are stored first (nothing acknowledged is lost), resolved to a contact,
// routed (router.ts) and either start a run with the contact's context from memory or wait in
// triage for the operator, whose choice becomes an example for the next ones. Every routed
// intent is remembered as a memory item labelled with its workflow: the nearest-neighbour
// fallback finds its examples in the memory index (Chroma).

export const INTENT_SOURCES = ["api", "webhook", "email", "form", "try"] as const;
export type IntentSource = (typeof INTENT_SOURCES)[number];

/** The memory kind of routed intents: the examples the router's fallback votes with. */
export const INTENT_MEMORY_KIND = "intent";

export const IntentInput = z
  .object({
    text: z.string().trim().min(1, "is required").max(20_000, "must be at most 20000 characters"),
    email: z.email("must be an email address").max(320).optional(),
    name: z.string().trim().max(200).optional(),
    fields: z.record(z.string(), z.unknown()).optional(),
    /** The sender's own id for the request (Idempotency-Key, Message-ID): a repeat finds the same intent. */
    sourceRef: z.string().min(1).max(300).optional(),
  })
  .strict();
export type IntentInput = z.input<typeof IntentInput>;

export interface IntentView {
  id: string;
  source: string;
  text: string;
  subject: string | null;
  contact: { id: string; name: string; email: string | null } | null;
  status: "routed" | "triage";
  via: string | null;
  workflow: { id: string; name: string } | null;
  label: string | null;
  confidence: number | null;
  reason: string;
  evidence: IntentEvidence;
  runId: string | null;
  decidedBy: string | null;
  createdAt: string;
}

export interface IntentEvidence {
  ruleId?: string | undefined;
  neighbours?: (Neighbour & { text?: string | undefined })[] | undefined;
  candidates?: { via: string; label: string; confidence: number }[] | undefined;
  skipped?: string[] | undefined;
  /** What the routed run was given from memory (its provenance). */
  context?: RunContext | undefined;
}

export interface RunContext {
  summary: string | null;
  memory: { id: string; text: string; kind: string; score: number | null; runId: string | null }[];
}

export interface IntentDeps {
  runs: RunService;
  /** The memory index; without it there is no nearest-neighbour fallback and context is read from the database. */
  index?: MemoryIndex | undefined;
  /** The LLM classifier, when an endpoint is configured. */
  classify?: ((intent: IntentForRouting & { id?: string }, targets: readonly IntentTarget[]) => Promise<LlmLabel>) | undefined;
  /** The classifier asked for at each routing (the endpoint can change in Settings); wins over `classify`. */
  classifierNow?: (() => Promise<IntentDeps["classify"]>) | undefined;
  now?: () => Date;
}

const percent = (n: number) => `${Math.round(n * 100)} %`;

function parseInput(raw: unknown): z.output<typeof IntentInput> {
  const parsed = IntentInput.safeParse(raw);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    throw new ValidationError(`${issues[0]!.path}: ${issues[0]!.message}`, issues);
  }
  return parsed.data;
}

export function intentService(db: Db, deps: IntentDeps) {
  const now = deps.now ?? (() => new Date());

  type Row = NonNullable<Awaited<ReturnType<typeof findRow>>>;
  const findRow = (id: string) => db.intent.findUnique({ where: { id }, include: { contact: { select: { id: true, name: true, email: true } } } });

  async function view(row: Row): Promise<IntentView> {
    const wf = row.workflowId ? await db.workflow.findUnique({ where: { id: row.workflowId }, select: { id: true, name: true } }) : null;
    return viewOf(row, wf);
  }

  function viewOf(row: Row, wf: { id: string; name: string } | null): IntentView {
    return {
      id: row.id,
      source: row.source,
      text: row.text,
      subject: row.subject,
      contact: row.contact,
      status: row.status === "routed" ? "routed" : "triage",
      via: row.via,
      workflow: wf,
      label: row.label,
      confidence: row.confidence,
      reason: row.reason,
      evidence: (row.evidence ?? {}) as IntentEvidence,
      runId: row.runId,
      decidedBy: row.decidedBy,
      createdAt: row.createdAt.toISOString(),
    };
  }

  /** The contact the intent is about, created when new; the name is kept unless one is given. */
  async function resolveContact(email: string | undefined, name: string | undefined) {
    if (!email) return null;
    const address = email.trim().toLowerCase();
    return db.contact.upsert({
      where: { email: address },
      create: { email: address, name: name || address.split("@")[0]! },
      update: name ? { name } : {},
      select: { id: true, email: true, name: true },
    });
  }

  /** Past routed intents nearest to this one, from the memory index, labelled by their metadata. */
  async function nearest(intent: IntentForRouting, minSimilarity: number): Promise<(Neighbour & { text: string })[]> {
    if (!deps.index) return [];
    const hits = (await deps.index.query(intent.text, { n: 15, kinds: [INTENT_MEMORY_KIND] })).filter((hit) => hit.score >= minSimilarity);
    if (hits.length === 0) return [];
    const rows = await db.memoryItem.findMany({ where: { id: { in: hits.map((h) => h.id) }, kind: INTENT_MEMORY_KIND }, select: { id: true, text: true, metadata: true } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return hits.flatMap((hit) => {
      const row = byId.get(hit.id);
      const label = (row?.metadata as { label?: unknown } | null)?.label;
      return row && typeof label === "string" ? [{ id: row.id, label, similarity: hit.score, text: row.text.slice(0, 200) }] : [];
    });
  }

  /** The subject's hot summary and its most relevant memory items, for the routed run. */
  async function contextFor(subject: string | null, text: string): Promise<RunContext> {
    if (!subject) return { summary: null, memory: [] };
    const [kind, ...rest] = subject.split(":");
    const ref = { kind: kind!, key: rest.join(":") };
    if (deps.index) {
      try {
        const result = await recall(db, deps.index, { query: text, subject: ref, topK: 5, minScore: 0.1 });
        return {
          summary: result.summary?.text ?? null,
          memory: result.items.map((i) => ({ id: i.id, text: i.text, kind: i.kind, score: i.score, runId: i.provenance.runId })),
        };
      } catch {
        // Chroma down: the newest items from the database instead (below); routing goes on.
      }
    }
    const row = await db.memorySubject.findUnique({ where: { kind_key: ref }, include: { summary: true, items: { orderBy: { createdAt: "desc" }, take: 5 } } });
    return { summary: row?.summary?.text ?? null, memory: (row?.items ?? []).map((i) => ({ id: i.id, text: i.text, kind: i.kind, score: null, runId: i.runId })) };
  }

  /** Remembers a routed intent with its label: the next intents' nearest-neighbour examples. */
  async function rememberExample(row: { id: string; text: string; subject: string | null }, target: AcceptingWorkflow, via: string) {
    let subjectId: string | null = null;
    if (row.subject) {
      const [kind, ...rest] = row.subject.split(":");
      const key = rest.join(":");
      subjectId = (await db.memorySubject.upsert({ where: { kind_key: { kind: kind!, key } }, create: { kind: kind!, key, name: key }, update: {}, select: { id: true } })).id;
    }
    const sourceKey = `intent:${row.id}`;
    const item =
      (await db.memoryItem.findUnique({ where: { sourceKey }, select: { id: true } })) ??
      (await db.memoryItem.create({
        data: { subjectId, kind: INTENT_MEMORY_KIND, text: row.text.slice(0, 4_000), metadata: json({ label: target.label, workflowId: target.workflowId, intentId: row.id, via }), sourceKey },
        select: { id: true },
      }));
    if (deps.index) {
      // Chroma down: the item is in the database and the worker's upkeep indexes it later.
      await indexItems(db, deps.index, [item.id], now()).catch(() => undefined);
    }
  }

  /** Starts the routed run with the request and the contact's context, and records it. */
  async function startRun(row: Row, target: AcceptingWorkflow, decision: { via: string; confidence: number; reason: string; evidence: IntentEvidence }, actor: string) {
    const context = await contextFor(row.subject, row.text);
    const fields = (row.fields ?? {}) as Record<string, unknown>;
    const input = {
      ...fields,
      text: row.text,
      intent: { id: row.id, source: row.source },
      email: row.contact?.email ?? null,
      name: row.contact?.name ?? null,
      subject: row.subject,
      fields,
      context,
    };
    assertJsonWithin("input", input, LIMITS.runInputBytes);
    const run = await deps.runs.start({ workflow: target.workflowId, input, idempotencyKey: `intent:${row.id}` }, actor, "intent", target.triggerNodeId);
    await db.intent.update({
      where: { id: row.id },
      data: {
        status: "routed",
        via: decision.via,
        workflowId: target.workflowId,
        label: target.label,
        confidence: decision.confidence,
        reason: decision.reason,
        evidence: json({ ...decision.evidence, context }),
        runId: run.id,
        decidedAt: now(),
      },
    });
    await rememberExample(row, target, decision.via);
    return run;
  }

  async function targetFor(workflow: string, targets: AcceptingWorkflow[]): Promise<AcceptingWorkflow> {
    const target = targets.find((t) => t.workflowId === workflow || t.slug === workflow);
    if (target) return target;
    const exists = await db.workflow.findFirst({ where: { OR: [{ id: workflow }, { slug: workflow }] }, select: { name: true } });
    if (!exists) throw new NotFoundError(`workflow: no workflow '${workflow}'`);
    throw new ValidationError(`workflow: '${exists.name}' does not accept intents: its published version has no Intent trigger`, [{ path: "workflow", message: "does not accept intents" }]);
  }

  return {
    /**
     * Stores the intent, resolves its contact, routes it (or, with `workflow`, sends it there
     * directly: "Try it") and starts the run or leaves it in triage. A repeated `sourceRef`
     * returns the intent already stored.
     */
    async submit(source: IntentSource, raw: unknown, options: { actor?: string; workflow?: string; rawContent?: unknown } = {}): Promise<IntentView & { duplicate: boolean }> {
      const actor = options.actor ?? "operator";
      const input = parseInput(raw);
      if (input.fields) assertJsonWithin("fields", input.fields, LIMITS.runInputBytes);
      if (input.sourceRef) {
        const existing = await db.intent.findUnique({ where: { source_sourceRef: { source, sourceRef: input.sourceRef } }, include: { contact: { select: { id: true, name: true, email: true } } } });
        if (existing) return { ...(await view(existing)), duplicate: true };
      }
      const targets = await acceptingWorkflows(db);
      // Refuse a bad direct target before anything is stored.
      const direct = options.workflow ? await targetFor(options.workflow, targets) : undefined;
      const contact = await resolveContact(input.email, input.name);
      const subject = contact?.email ? `contact:${contact.email}` : null;
      let row: Row;
      try {
        row = await db.intent.create({
          data: {
            source,
            sourceRef: input.sourceRef ?? null,
            text: input.text,
            raw: json(options.rawContent ?? raw),
            ...(input.fields ? { fields: json(input.fields) } : {}),
            contactId: contact?.id ?? null,
            subject,
            status: "triage",
            reason: "received; not routed yet",
            evidence: json({}),
          },
          include: { contact: { select: { id: true, name: true, email: true } } },
        });
      } catch (error) {
        // The same sourceRef, concurrently: the other request stored it.
        if (input.sourceRef && isUniqueViolation(error)) {
          const existing = await db.intent.findUniqueOrThrow({ where: { source_sourceRef: { source, sourceRef: input.sourceRef } }, include: { contact: { select: { id: true, name: true, email: true } } } });
          return { ...(await view(existing)), duplicate: true };
        }
        throw error;
      }
      await audit(db, { actor, action: "intent.receive", targetType: "intent", targetId: row.id, detail: { source } });

      if (direct) {
        await startRun(row, direct, { via: "direct", confidence: 1, reason: `sent straight to '${direct.name}' (${source === "try" ? "Try it" : "named by the sender"})`, evidence: {} }, actor);
        return { ...(await view((await findRow(row.id))!)), duplicate: false };
      }

      const settings = await readIntentRouting(db);
      const classify = deps.classifierNow ? await deps.classifierNow() : deps.classify;
      const intent: IntentForRouting & { id: string } = { id: row.id, source, text: row.text, subject, fields: input.fields };
      let texts = new Map<string, string>();
      const decision: RouteDecision = await routeIntent(intent, {
        targets,
        rules: settings.rules,
        threshold: settings.threshold,
        classify: classify ? (i, t) => classify({ ...i, id: row.id }, t) : undefined,
        nearest: deps.index
          ? async (i) => {
              const found = await nearest(i, settings.minSimilarity);
              texts = new Map(found.map((n) => [n.id, n.text]));
              return found.map(({ id, label, similarity }) => ({ id, label, similarity }));
            }
          : undefined,
      });
      const neighbours = decision.neighbours?.map((n) => ({ ...n, text: texts.get(n.id) }));
      if (decision.kind === "routed") {
        const target = targets.find((t) => t.workflowId === decision.workflowId)!;
        await startRun(
          row,
          target,
          { via: decision.via, confidence: decision.confidence, reason: decision.reason, evidence: { ruleId: decision.ruleId, neighbours, skipped: decision.skipped } },
          actor,
        );
      } else {
        await db.intent.update({ where: { id: row.id }, data: { reason: decision.reason, evidence: json({ candidates: decision.candidates, neighbours, skipped: decision.skipped }) } });
      }
      return { ...(await view((await findRow(row.id))!)), duplicate: false };
    },

    /**
     * The operator's choice for an intent in triage: starts the run on the chosen workflow and
     * remembers the intent with that label, so similar ones route by themselves next time.
     */
    async choose(input: { id: string; workflow: string }, actor = "operator"): Promise<IntentView> {
      const row = await findRow(input.id);
      if (!row) throw new NotFoundError(`no intent '${input.id}'`);
      if (row.status !== "triage") throw new ConflictError(`This intent was already routed${row.via ? ` (${row.via})` : ""}; it started run ${row.runId ?? "(none)"}.`);
      const target = await targetFor(input.workflow, await acceptingWorkflows(db));
      // Claim it first: two operators choosing at once start one run.
      const claimed = await db.intent.updateMany({ where: { id: row.id, status: "triage" }, data: { status: "routing", decidedBy: actor } });
      if (claimed.count === 0) throw new ConflictError("Someone else routed this intent a moment ago.");
      const evidence = (row.evidence ?? {}) as IntentEvidence;
      try {
        await startRun(row, target, { via: "operator", confidence: 1, reason: `the operator chose '${target.name}'`, evidence }, actor);
      } catch (error) {
        // Back to the queue, so the choice can be made again.
        await db.intent.updateMany({ where: { id: row.id, status: "routing" }, data: { status: "triage", decidedBy: null } });
        throw error;
      }
      await audit(db, { actor, action: "intent.route", targetType: "intent", targetId: row.id, detail: { workflow: target.name } });
      return view((await findRow(row.id))!);
    },

    async get(id: string): Promise<IntentView> {
      const row = await findRow(id);
      if (!row) throw new NotFoundError(`no intent '${id}'`);
      return view(row);
    },

    /** Newest first; `status` narrows to the routed ones or the triage queue. */
    async list(input: { status?: "routed" | "triage" | undefined; limit: number; before?: string | undefined }): Promise<{ items: IntentView[]; next: string | null }> {
      const cursor = input.before ? await db.intent.findUnique({ where: { id: input.before }, select: { createdAt: true } }) : null;
      const rows = await db.intent.findMany({
        where: {
          ...(input.status === "routed" ? { status: "routed" } : input.status === "triage" ? { status: { in: ["triage", "routing"] } } : {}),
          ...(cursor ? { createdAt: { lt: cursor.createdAt } } : {}),
        },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: input.limit + 1,
        include: { contact: { select: { id: true, name: true, email: true } } },
      });
      const page = rows.slice(0, input.limit);
      const ids = [...new Set(page.flatMap((r) => (r.workflowId ? [r.workflowId] : [])))];
      const workflows = new Map((await db.workflow.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } })).map((w) => [w.id, w]));
      return { items: page.map((r) => viewOf(r, r.workflowId ? (workflows.get(r.workflowId) ?? null) : null)), next: rows.length > input.limit ? page[page.length - 1]!.id : null };
    },

    /**
     * The triage queue as the approval queue shows it: each waiting intent with the router's
     * best guesses and every workflow it could go to.
     */
    async triage(limit = 100) {
      const [{ items }, targets] = await Promise.all([this.list({ status: "triage", limit }), acceptingWorkflows(db)]);
      const choices = targets.map((t) => ({ workflowId: t.workflowId, name: t.name, label: t.label, description: t.description }));
      return items.map((item) => ({
        id: item.id,
        kind: "triage" as const,
        source: item.source,
        text: item.text,
        subject: item.subject,
        contact: item.contact,
        reason: item.reason,
        createdAt: item.createdAt,
        candidates: (item.evidence.candidates ?? []).map((c) => ({ ...c, workflowId: targets.find((t) => t.label === c.label)?.workflowId ?? null, summary: `${c.label} by ${c.via} at ${percent(c.confidence)}` })),
        choices,
      }));
    },

    /** The intent that started a run, with its routing decision and context: the replay's provenance. */
    async forRun(runId: string): Promise<IntentView | null> {
      const row = await db.intent.findFirst({ where: { runId }, include: { contact: { select: { id: true, name: true, email: true } } } });
      return row ? view(row) : null;
    },

    /** The workflows intents can go to, with their samples (what "Try it" sends). */
    targets: () => acceptingWorkflows(db),

    /** "Try it": the workflow's sample request, sent straight to it as an intent. */
    async tryWorkflow(workflow: string, actor = "operator") {
      const target = await targetFor(workflow, await acceptingWorkflows(db));
      if (!target.sample) throw new ValidationError(`workflow: '${target.name}' has no sample request on its Intent trigger`, [{ path: "workflow", message: "has no sample" }]);
      const { text, email, name, fields } = target.sample;
      return this.submit("try", { text, ...(email ? { email } : {}), ...(name ? { name } : {}), ...(fields ? { fields } : {}) }, { actor, workflow: target.workflowId });
    },
  };
}

export type IntentService = ReturnType<typeof intentService>;
