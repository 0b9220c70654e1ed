import { z } from "zod";
import type { Db } from "../../engine/store";

// LLM settings the operator edits on the Settings page (one Setting row): a default model for
// LLM nodes that name none, and a price table that turns token counts into cost units.

export const LLM_SETTING_KEY = "llm";

const price = z.number({ message: "must be a number" }).min(0, "must not be negative").max(1_000_000);

export const LlmSettingsSchema = z
  .object({
    defaultModel: z
      .string()
      .trim()
      .max(200)
      .regex(/^[^\s{}]*$/, "must be a model name without spaces")
      .transform((v) => (v === "" ? undefined : v))
      .optional(),
    /** Model → price per million input (prompt) and output (completion) tokens, in cost units. */
    prices: z
      .record(z.string().trim().min(1, "must name a model").max(200), z.object({ input: price, output: price }).strict())
      .default({}),
  })
  .strict();

export type LlmSettings = z.output<typeof LlmSettingsSchema>;

/** Cost units of one call: tokens times the model's price per million, or 0 when unpriced. */
export function costUnits(settings: LlmSettings, model: string, usage: { promptTokens: number; completionTokens: number }): number {
  const p = settings.prices[model];
  if (!p) return 0;
  return (usage.promptTokens * p.input + usage.completionTokens * p.output) / 1_000_000;
}

/** The stored settings; a row that no longer parses reads as none set. */
export async function readLlmSettings(db: Db): Promise<LlmSettings> {
  const row = await db.setting.findUnique({ where: { key: LLM_SETTING_KEY } });
  const parsed = LlmSettingsSchema.safeParse(row?.value ?? {});
  return parsed.success ? parsed.data : { prices: {} };
}
