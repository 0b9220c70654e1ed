import { PermanentError } from "../engine/errors";
import type { AnyNodeMeta, ExecutionContext, NodeExecutor, NodeMeta, StepResult } from "../engine/registry";
import { emailSendNode } from "./adapters/email-send";
import { emailExecutor } from "./adapters/email-send.server";
import { httpRequestNode } from "./adapters/http-request";
import { httpRequestExecutor } from "./adapters/http-request.server";
import { setNode } from "./data/set";
import { llmChatNode } from "./llm/chat";
import { llmClassifyNode } from "./llm/classify";
import { llmExtractNode } from "./llm/extract";
import { llmExecutors } from "./llm/llm.server";
import { memoryExecutors } from "./memory/memory.server";
import { recallNode } from "./memory/recall";
import { notifyExecutor } from "./notify/notify.server";
import { notifyOperatorNode } from "./notify/operator";
import { rememberNode } from "./memory/remember";
import { createDealNode } from "./records/create-deal";
import { createInvoiceNode } from "./records/create-invoice";
import { findContactNode } from "./records/find-contact";
import { recordsExecutors } from "./records/records.server";
import { updateInvoiceStatusNode } from "./records/update-invoice-status";
import { upsertContactNode } from "./records/upsert-contact";
import { transformNode } from "./data/transform";
import { ifNode } from "./logic/if";
import { llmAvailableNode } from "./logic/llm-available";
import { mergeNode } from "./logic/merge";
import { switchNode } from "./logic/switch";
import { forEachNode } from "./loops/for-each";
import { untilNode } from "./loops/until";
import { evaluateIn, renderIn } from "./expression-data";

// The server-only half of the node types whose execution is "executor": keyed by the same
// descriptors as the catalog (a test checks every such descriptor has exactly one). Adapters
// (HTTP, email, LLM, …) add theirs here.

type ConfigOf<M> = M extends NodeMeta<infer C> ? C : never;

function executor<M extends AnyNodeMeta>(meta: M, run: (ctx: ExecutionContext<ConfigOf<M>>) => Promise<StepResult>) {
  return [`${meta.type}@${meta.version}`, run as NodeExecutor] as const;
}

const truthy = (value: unknown) => (Array.isArray(value) ? value.length > 0 : Boolean(value));

const PURE = [
  executor(ifNode, async (ctx) => {
    const value = await evaluateIn(ctx, ctx.config.condition);
    return { port: truthy(value) ? "true" : "false", output: { value: value ?? null } };
  }),
  executor(switchNode, async (ctx) => {
    for (const item of ctx.config.cases) {
      if (truthy(await evaluateIn(ctx, item.when))) return { port: item.port, output: { case: item.port } };
    }
    return { port: "default", output: { case: "default" } };
  }),
  executor(mergeNode, async () => ({ port: "out", output: null })),
  executor(transformNode, async (ctx) => ({ port: "out", output: (await evaluateIn(ctx, ctx.config.expression)) ?? null })),
  executor(setNode, async (ctx) => ({ port: "out", output: await renderIn(ctx, ctx.config.fields) })),
  executor(forEachNode, async (ctx) => {
    const items = await evaluateIn(ctx, ctx.config.items);
    const list = items === undefined || items === null ? [] : Array.isArray(items) ? items : [items];
    if (list.length > ctx.config.maxItems) {
      throw new PermanentError(`items: the list has ${list.length} elements; the limit (maxItems) is ${ctx.config.maxItems}`);
    }
    // The loop node is entered once, then once after every pass of the body.
    const index = ctx.iteration - 1;
    return index < list.length ? { port: "item", output: { item: list[index], index, count: list.length } } : { port: "done", output: { count: list.length } };
  }),
  executor(untilNode, async (ctx) => {
    const iteration = ctx.iteration - 1;
    if (truthy(await evaluateIn(ctx, ctx.config.condition))) return { port: "done", output: { iterations: iteration, stoppedBy: "condition" } };
    if (iteration >= ctx.config.maxIterations) return { port: "done", output: { iterations: iteration, stoppedBy: "limit" } };
    return { port: "again", output: { iteration: iteration + 1 } };
  }),
];

/**
 * Every executor, keyed `type@version`. What they touch beyond the run's data comes through
 * the capabilities on their context (ctx.http, ctx.llm, ctx.mail, ctx.memory, ctx.records,
 * ctx.notifications, ctx.credential), which the server builds from infra/.
 */
export const EXECUTORS: ReadonlyMap<string, NodeExecutor> = new Map([
  ...PURE,
  executor(httpRequestNode, httpRequestExecutor),
  executor(upsertContactNode, recordsExecutors.upsertContact),
  executor(findContactNode, recordsExecutors.findContact),
  executor(createInvoiceNode, recordsExecutors.createInvoice),
  executor(updateInvoiceStatusNode, recordsExecutors.updateInvoiceStatus),
  executor(createDealNode, recordsExecutors.createDeal),
  // The branch the run takes is the endpoint's presence in this process, recorded in the ledger.
  executor(llmAvailableNode, async (ctx) => {
    const available = ctx.llm ? await ctx.llm.available() : false;
    return { port: available ? "yes" : "no", output: { available } };
  }),
  executor(emailSendNode, emailExecutor),
  executor(llmChatNode, llmExecutors.chat),
  executor(llmExtractNode, llmExecutors.extract),
  executor(llmClassifyNode, llmExecutors.classify),
  executor(rememberNode, memoryExecutors.remember),
  executor(recallNode, memoryExecutors.recall),
  executor(notifyOperatorNode, notifyExecutor),
]);
