import { ConfigurationError, PermanentError } from "../../engine/errors";
import {
  capability,
  JsonSchemaUnsupportedError,
  type ChatAnswer,
  type ChatCall,
  type ChatMessage,
  type ExecutionContext,
  type LlmCapability,
  type LlmStepSettings,
  type ResponseFormat,
  type StepResult,
  type Usage,
} from "../../engine/registry";
import { expressionData, renderIn } from "../expression-data";
import type { llmChatNode } from "./chat";
import { labelsOf, type llmClassifyNode } from "./classify";
import type { llmExtractNode } from "./extract";
import { validateAgainst } from "./json-schema";
import { memoryBehind } from "./memory-behind";

type ConfigOf<N> = N extends { config: { parse: (v: unknown) => infer C } } ? C : never;
type ChatConfig = ConfigOf<typeof llmChatNode>;
type ExtractConfig = ConfigOf<typeof llmExtractNode>;
type ClassifyConfig = ConfigOf<typeof llmClassifyNode>;

/** One call as sent and as answered: the step's provenance (never the key or headers). */
export interface CallRecord {
  messages: ChatMessage[];
  parameters: { model: string; temperature?: number | undefined; maxTokens?: number | undefined; responseFormat?: string | undefined };
  answer: { content: string | null; toolCalls: ChatAnswer["toolCalls"]; finishReason: string; model: string };
  usage: Usage;
}

// Servers that refused json_schema once are asked with json_object from then on.
const refusesJsonSchema = new WeakMap<LlmCapability, Set<string>>();

/** The calls one step makes, with their usage summed and recorded for provenance. */
class Conversation {
  readonly calls: CallRecord[] = [];
  readonly usage: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };

  constructor(
    private readonly client: LlmCapability,
    private readonly ctx: ExecutionContext<unknown>,
    readonly model: string,
  ) {}

  async ask(call: Omit<ChatCall, "model">): Promise<ChatAnswer> {
    let format = call.responseFormat;
    const refused = refusesJsonSchema.get(this.client) ?? new Set<string>();
    if (format?.type === "json_schema" && refused.has(this.model)) format = { type: "json_object" };
    // The first call carries the step's key; a repair or fallback is a different request, so a
    // gateway that drops repeats must not answer it from the first one.
    const key = this.calls.length === 0 ? this.ctx.idempotencyKey : `${this.ctx.idempotencyKey}:${this.calls.length + 1}`;
    let answer: ChatAnswer;
    try {
      answer = await this.client.chat({ ...call, model: this.model, responseFormat: format }, { signal: this.ctx.signal, idempotencyKey: key });
    } catch (error) {
      if (!(error instanceof JsonSchemaUnsupportedError)) throw error;
      refused.add(this.model);
      refusesJsonSchema.set(this.client, refused);
      format = { type: "json_object" };
      answer = await this.client.chat({ ...call, model: this.model, responseFormat: format }, { signal: this.ctx.signal, idempotencyKey: `${key}:json_object` });
    }
    this.calls.push({
      messages: call.messages,
      parameters: { model: this.model, temperature: call.temperature, maxTokens: call.maxTokens, responseFormat: format?.type },
      answer: { content: answer.content, toolCalls: answer.toolCalls, finishReason: answer.finishReason, model: answer.model },
      usage: answer.usage,
    });
    this.usage.promptTokens += answer.usage.promptTokens;
    this.usage.completionTokens += answer.usage.completionTokens;
    this.usage.totalTokens += answer.usage.totalTokens;
    return answer;
  }

  /** `templates`: the step's prompt templates, whose memory items (memory-behind.ts) are named in its provenance. */
  result(port: string, output: Record<string, unknown>, settings: LlmStepSettings, templates: readonly (string | undefined)[]): StepResult {
    const units = settings.costUnits(this.model, this.usage);
    const memory = memoryBehind(templates, expressionData(this.ctx));
    return {
      port,
      output: { ...output, model: this.calls.at(-1)?.answer.model ?? this.model, usage: this.usage, provenance: { calls: this.calls, memory } },
      cost: { tokens: this.usage.totalTokens, ...(units > 0 ? { units } : {}) },
    };
  }
}

async function text(ctx: ExecutionContext<unknown>, template: string | undefined): Promise<string | undefined> {
  if (template === undefined) return undefined;
  const value = await renderIn(ctx, template);
  return value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value);
}

function describeToolCalls(answer: ChatAnswer): string {
  return answer.toolCalls.map((t) => `'${t.name}'`).join(", ");
}

/**
 * Asks for JSON, parses it and (with a schema) validates it. An answer that is not JSON or
 * breaks the schema is sent back once with what is wrong; a second bad answer fails the step
 * for good, naming the failing paths.
 */
async function askJson(conversation: Conversation, messages: ChatMessage[], options: { temperature?: number | undefined; maxTokens?: number | undefined; format: ResponseFormat; schema?: object }): Promise<unknown> {
  const history = [...messages];
  let problems: string[] = [];
  for (let attempt = 1; attempt <= 2; attempt++) {
    const answer = await conversation.ask({ messages: [...history], temperature: options.temperature, maxTokens: options.maxTokens, responseFormat: options.format });
    problems = [];
    let value: unknown;
    if (answer.content === null || answer.content.trim() === "") {
      problems = [answer.toolCalls.length ? `(answer): the model asked to call ${describeToolCalls(answer)} instead of answering; this node offers no tools` : "(answer): is empty"];
    } else {
      try {
        value = JSON.parse(answer.content);
      } catch {
        problems = [`(answer): is not valid JSON${answer.finishReason === "length" ? " (cut off at maxTokens)" : ""}`];
      }
      if (!problems.length && options.schema) problems = validateAgainst(options.schema, value).map((i) => `${i.path}: ${i.message}`);
    }
    if (!problems.length) return value;
    if (attempt === 2) break;
    history.push(
      { role: "assistant", content: answer.content ?? "" },
      { role: "user", content: `That answer is not acceptable:\n${problems.map((p) => `- ${p}`).join("\n")}\nAnswer again with corrected JSON only.` },
    );
  }
  throw new PermanentError(`output: the model's answer was invalid twice; failing paths: ${problems.slice(0, 10).join("; ")}`);
}

async function begin(ctx: ExecutionContext<unknown>, model: string | undefined) {
  const llm = capability(ctx, "llm");
  const settings = await llm.prepare();
  const chosen = model ?? settings.defaultModel;
  if (!chosen) throw new ConfigurationError("model: this node names no model and Settings has no default LLM model: set one of them, then retry the step", "model");
  return { settings, conversation: new Conversation(llm, ctx, chosen) };
}

/** The LLM executors, over ctx.llm; without an endpoint every step fails as a configuration error. */
export const llmExecutors = {
  async chat(ctx: ExecutionContext<ChatConfig>): Promise<StepResult> {
    const { settings, conversation } = await begin(ctx, ctx.config.model);
    const system = await text(ctx, ctx.config.system);
    const prompt = (await text(ctx, ctx.config.prompt)) ?? "";
    const sampling = { temperature: ctx.config.temperature, maxTokens: ctx.config.maxTokens };
    if (ctx.config.json) {
      // json_object mode requires the word JSON in the messages (OpenAI checks).
      const messages: ChatMessage[] = [{ role: "system", content: `${system ? `${system}\n\n` : ""}Answer with one JSON object only.` }, { role: "user", content: prompt }];
      const value = await askJson(conversation, messages, { ...sampling, format: { type: "json_object" } });
      return conversation.result("out", { text: conversation.calls.at(-1)?.answer.content ?? "", json: value }, settings, [ctx.config.system, ctx.config.prompt]);
    }
    const messages: ChatMessage[] = [...(system ? [{ role: "system" as const, content: system }] : []), { role: "user", content: prompt }];
    const answer = await conversation.ask({ messages, ...sampling });
    if (answer.content === null && answer.toolCalls.length) {
      throw new PermanentError(`the model asked to call ${describeToolCalls(answer)} instead of answering; this node offers no tools: check the model and the prompt`);
    }
    return conversation.result("out", { text: answer.content ?? "", finishReason: answer.finishReason }, settings, [ctx.config.system, ctx.config.prompt]);
  },

  async extract(ctx: ExecutionContext<ExtractConfig>): Promise<StepResult> {
    const { settings, conversation } = await begin(ctx, ctx.config.model);
    const system = await text(ctx, ctx.config.system);
    const input = (await text(ctx, ctx.config.input)) ?? "";
    const instructions = `Extract the requested data from the user's text. Answer with one JSON object only, satisfying this JSON Schema:\n${JSON.stringify(ctx.config.schema)}`;
    const messages: ChatMessage[] = [{ role: "system", content: system ? `${system}\n\n${instructions}` : instructions }, { role: "user", content: input }];
    const data = await askJson(conversation, messages, {
      temperature: ctx.config.temperature ?? 0,
      maxTokens: ctx.config.maxTokens,
      format: { type: "json_schema", name: "extraction", schema: ctx.config.schema },
      schema: ctx.config.schema,
    });
    return conversation.result("out", { data, attempts: conversation.calls.length }, settings, [ctx.config.system, ctx.config.input]);
  },

  async classify(ctx: ExecutionContext<ClassifyConfig>): Promise<StepResult> {
    const { settings, conversation } = await begin(ctx, ctx.config.model);
    const labels = labelsOf(ctx.config);
    const names = labels.map((l) => l.label);
    const system = await text(ctx, ctx.config.system);
    const input = (await text(ctx, ctx.config.text)) ?? "";
    const schema = {
      type: "object",
      properties: { label: { type: "string", enum: names }, confidence: { type: "number", minimum: 0, maximum: 1 } },
      required: ["label", "confidence"],
      additionalProperties: false,
    };
    const list = labels.map((l) => `- ${l.label}${l.description ? `: ${l.description}` : ""}`).join("\n");
    const instructions = `Classify the user's text into exactly one of these labels:\n${list}\nAnswer with one JSON object only: {"label": <one of the labels>, "confidence": <a number from 0 to 1: how sure you are>}.`;
    const messages: ChatMessage[] = [{ role: "system", content: system ? `${system}\n\n${instructions}` : instructions }, { role: "user", content: input }];
    const answer = (await askJson(conversation, messages, { temperature: ctx.config.temperature ?? 0, maxTokens: ctx.config.maxTokens, format: { type: "json_schema", name: "classification", schema }, schema })) as {
      label: string;
      confidence: number;
    };
    return conversation.result(answer.label, { label: answer.label, confidence: answer.confidence }, settings, [ctx.config.system, ctx.config.text]);
  },
};
