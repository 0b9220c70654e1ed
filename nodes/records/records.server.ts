import { PermanentError } from "../../engine/errors";
import { capability, type ExecutionContext, type StepResult } from "../../engine/registry";
import { renderIn } from "../expression-data";
import type { createDealNode } from "./create-deal";
import type { createInvoiceNode } from "./create-invoice";
import type { findContactNode } from "./find-contact";
import type { updateInvoiceStatusNode } from "./update-invoice-status";
import type { upsertContactNode } from "./upsert-contact";

// The records node types over ctx.records: rendering and checking the fields here, storage
// (idempotent by the step's key) behind the capability.

type ConfigOf<N> = N extends { config: { parse(v: unknown): infer C } } ? C : never;

async function rendered<T>(ctx: ExecutionContext<T>): Promise<T> {
  return (await renderIn(ctx, ctx.config)) as T;
}

function wholeNumber(value: unknown, field: string): number {
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new PermanentError(`${field}: must be a whole number ≥ 0, got ${JSON.stringify(value)}`);
  return n;
}

export const recordsExecutors = {
  async upsertContact(ctx: ExecutionContext<ConfigOf<typeof upsertContactNode>>): Promise<StepResult> {
    const records = capability(ctx, "records");
    const c = await rendered(ctx);
    const email = String(c.email).trim().toLowerCase();
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new PermanentError(`email: '${c.email}' is not an email address`);
    const contact = await records.upsertContact({ email, name: String(c.name), company: c.company ? String(c.company) : null, phone: c.phone ? String(c.phone) : null, ...(c.data ? { data: c.data } : {}) });
    return { port: "out", output: contact };
  },

  async findContact(ctx: ExecutionContext<ConfigOf<typeof findContactNode>>): Promise<StepResult> {
    const records = capability(ctx, "records");
    const c = await rendered(ctx);
    const contact = await records.findContact(String(c.email));
    return contact ? { port: "found", output: contact } : { port: "missing", output: null };
  },

  async createInvoice(ctx: ExecutionContext<ConfigOf<typeof createInvoiceNode>>): Promise<StepResult> {
    const records = capability(ctx, "records");
    const c = await rendered(ctx);
    const lines = c.lines.map((line, i) => ({
      description: String(line.description),
      quantity: wholeNumber(line.quantity, `lines.${i}.quantity`),
      unitMinor: wholeNumber(line.unitMinor, `lines.${i}.unitMinor`),
    }));
    const invoice = await records.createInvoice({ sourceKey: ctx.idempotencyKey, contactEmail: String(c.contactEmail), currency: c.currency, dueInDays: c.dueInDays, lines });
    return { port: "out", output: invoice };
  },

  async createDeal(ctx: ExecutionContext<ConfigOf<typeof createDealNode>>): Promise<StepResult> {
    const records = capability(ctx, "records");
    const c = await rendered(ctx);
    const deal = await records.createDeal({
      sourceKey: ctx.idempotencyKey,
      contactEmail: String(c.contactEmail),
      title: String(c.title),
      stage: String(c.stage),
      amountMinor: wholeNumber(c.amountMinor, "amountMinor"),
      currency: c.currency,
    });
    return { port: "out", output: deal };
  },

  async updateInvoiceStatus(ctx: ExecutionContext<ConfigOf<typeof updateInvoiceStatusNode>>): Promise<StepResult> {
    const records = capability(ctx, "records");
    const c = await rendered(ctx);
    return { port: "out", output: await records.updateInvoiceStatus(String(c.number), c.status) };
  },
};
