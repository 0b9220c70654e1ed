"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import type { GraphNode } from "../../../engine/graph/schema";
import type { NodeRunStatus } from "../../../engine/runtime/node-states";
import { JsonBlock } from "./JsonBlock";
import type { StepDetails } from "./step-details";

// The replay's side panel: one node at the point shown. Everything here came from the run or
// the outside world, so it is rendered as text (JSON in <pre>), never as HTML.

export interface MemoryItemRow {
  id: string;
  nodeId: string | null;
  kind: string;
  text: string;
  subject: string | null;
}

export interface ApprovalRow {
  id: string;
  nodeId: string;
  visit: number;
  status: string;
  decidedBy: string | null;
  comment: string | null;
  editedData: unknown;
}


function formatMs(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1_000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

function Section({ title, testId, children }: { title: string; testId: string; children: ReactNode }) {
  return (
    <section data-testid={testId}>
      <h3>{title}</h3>
      {children}
    </section>
  );
}

/** An item an LLM step read into its prompt, as the server found it (memory-provenance.ts). */
export interface MemoryUsedRow {
  id: string;
  kind: string;
  text: string;
  subject: string | null;
  href: string | null;
  gone: boolean;
}

/** One memory item in a step's lists: its subject (linked), kind, the replay step that wrote it, and text. */
function MemoryItemLine({ item, writtenAt }: { item: { id: string; subject: string | null; kind: string; text: string; gone?: boolean }; writtenAt: string | null }) {
  if (item.gone) {
    return (
      <li data-testid="memory-item" data-item-id={item.id}>
        <span className="muted">Item {item.id} is no longer stored (forgotten or expired since).</span>
      </li>
    );
  }
  return (
    <li data-testid="memory-item" data-item-id={item.id}>
      {item.subject ? <Link href={`/memory/${encodeURIComponent(item.subject)}`}>{item.subject}</Link> : <span className="muted">no subject</span>} · {item.kind}
      {writtenAt ? (
        <>
          {" · "}
          <Link href={writtenAt}>written by this run step</Link>
        </>
      ) : null}
      <br />
      {item.text}
    </li>
  );
}

/** The memory item ids an LLM step's recorded output names (its provenance). */
function memoryIdsOf(result: unknown): string[] {
  const ids = (result as { output?: { provenance?: { memory?: unknown } } } | null)?.output?.provenance?.memory;
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === "string") : [];
}

const isLlm = (type: string) => type.startsWith("llm.");

interface RecalledItem {
  id: string;
  text: string;
  kind: string;
  subject: string | null;
  provenance?: { runId?: string | null } | null;
}

/** The memory items a recall step returned (memory.recall's output), for provenance. */
function recalledItems(type: string, output: unknown): RecalledItem[] {
  if (type !== "memory.recall") return [];
  const items = (output as { items?: unknown } | null)?.items;
  return Array.isArray(items) ? (items.filter((i) => i && typeof i === "object" && typeof (i as RecalledItem).id === "string") as RecalledItem[]) : [];
}

export function StepPanel({
  node,
  status,
  details,
  approvals,
  memoryItems,
  memoryUsed,
}: {
  node: GraphNode | null;
  status: NodeRunStatus | undefined;
  details: StepDetails | null;
  approvals: readonly ApprovalRow[];
  memoryItems: readonly MemoryItemRow[];
  memoryUsed: readonly MemoryUsedRow[];
}) {
  if (!node || !details) {
    return (
      <aside className="step-panel" aria-label="Step" data-testid="step-panel">
        <p className="muted">Select a node on the canvas, or step through the timeline, to see what it did.</p>
      </aside>
    );
  }
  const nodeApprovals = approvals.filter((a) => a.nodeId === node.id);
  const produced = memoryItems.filter((m) => m.nodeId === node.id);
  const recalled = details.hasOutput ? recalledItems(node.type, details.output) : [];
  const llmEffect = isLlm(node.type) ? details.effects.find((e) => e.visit === details.visit) : undefined;
  const usedById = new Map(memoryUsed.map((m) => [m.id, m]));
  const prompted = llmEffect ? memoryIdsOf(llmEffect.result).flatMap((id) => usedById.get(id) ?? []) : [];
  return (
    <aside className="step-panel" aria-label={`Step ${node.label || node.id}`} data-testid="step-panel" data-node-id={node.id}>
      <h2>{node.label || node.id}</h2>
      <span className="badge badge-muted">{node.type}</span>{" "}
      <span className="badge badge-accent" data-testid="step-state">
        {status?.state ?? "pending"}
      </span>
      {details.visit === null ? (
        <p className="muted">Not reached at this point of the run.</p>
      ) : (
        <>
          <dl className="step-facts">
            <dt>Visit</dt>
            <dd data-testid="step-visit">
              {details.visit}
              {details.visits > 1 ? ` (entered ${details.visits} times)` : ""}
            </dd>
            <dt>Duration</dt>
            <dd>{formatMs(details.durationMs)}</dd>
            <dt>Cost</dt>
            <dd data-testid="step-cost">
              {details.costTokens} tokens · {details.costUnits.toFixed(4)} units
            </dd>
          </dl>
          {details.childRunId ? (
            <p>
              <Link href={`/runs/${encodeURIComponent(details.childRunId)}`} data-testid="child-run-link">
                Open the sub-workflow's run →
              </Link>
            </p>
          ) : null}
          <Section title="Input" testId="step-input">
            <JsonBlock value={details.input} />
          </Section>
          {details.request !== undefined ? (
            <Section title="Request (as recorded in the ledger)" testId="step-request">
              <JsonBlock value={details.request} />
            </Section>
          ) : null}
          <Section title="Output" testId="step-output">
            {details.hasOutput ? <JsonBlock value={details.output} /> : <pre>— (no output yet at this point)</pre>}
          </Section>
          {details.error ? (
            <Section title="Error" testId="step-error">
              <JsonBlock value={details.error} />
            </Section>
          ) : null}
          <Section title="Attempts" testId="step-attempts">
            {details.attempts.length === 0 ? (
              <p className="muted">None finished yet.</p>
            ) : (
              <ol className="step-list">
                {details.attempts.map((a, i) => (
                  <li key={`${a.attempt}-${i}`} data-testid="step-attempt" data-outcome={a.outcome}>
                    <strong>Attempt {a.attempt}</strong>: {a.outcome}
                    {a.reason ? ` — ${a.reason}` : ""}
                    {a.delayMs !== null ? ` · next try after ${formatMs(a.delayMs)}` : ""}
                  </li>
                ))}
              </ol>
            )}
          </Section>
          {details.effects.length > 0 ? (
            <Section title="Effects" testId="step-effects">
              <ul className="step-list">
                {details.effects.map((e) => (
                  <li key={e.key}>
                    <code>{e.key}</code>
                    <br />
                    ledger: <strong>{e.status}</strong> · {e.attempts} attempt{e.attempts === 1 ? "" : "s"}
                  </li>
                ))}
              </ul>
            </Section>
          ) : null}
          {nodeApprovals.length > 0 ? (
            <Section title="Decision" testId="step-approvals">
              <ul className="step-list">
                {nodeApprovals.map((a) => (
                  <li key={a.id}>
                    Visit {a.visit}: <strong>{a.status}</strong>
                    {a.decidedBy ? ` by ${a.decidedBy}` : ""}
                    {a.comment ? ` — “${a.comment}”` : ""}
                    {a.editedData !== null && a.editedData !== undefined ? <JsonBlock value={a.editedData} /> : null}
                  </li>
                ))}
              </ul>
            </Section>
          ) : null}
          {llmEffect ? (
            <Section title="Provenance" testId="step-provenance">
              <p className="muted">The prompt sent and the answer received.</p>
              <JsonBlock value={llmEffect.request} />
              <JsonBlock value={llmEffect.result} />
            </Section>
          ) : null}
          {recalled.length > 0 ? (
            <Section title="Memory used" testId="step-memory-used">
              <ul className="step-list">
                {recalled.map((m) => (
                  <MemoryItemLine key={m.id} item={m} writtenAt={m.provenance?.runId ? `/runs/${encodeURIComponent(m.provenance.runId)}` : null} />
                ))}
              </ul>
            </Section>
          ) : null}
          {prompted.length > 0 ? (
            <Section title="Memory in the prompt" testId="step-memory-used">
              <p className="muted">The memory items this step's prompt read.</p>
              <ul className="step-list">
                {prompted.map((m) => (
                  <MemoryItemLine key={m.id} item={m} writtenAt={m.href} />
                ))}
              </ul>
            </Section>
          ) : null}
          {produced.length > 0 ? (
            <Section title="Memory written" testId="step-memory">
              <ul className="step-list">
                {produced.map((m) => (
                  <MemoryItemLine key={m.id} item={m} writtenAt={null} />
                ))}
              </ul>
            </Section>
          ) : null}
        </>
      )}
    </aside>
  );
}
