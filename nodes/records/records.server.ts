import { PermanentError } from "../../engine/errors";
import type { ExecutionContext, StepResult } from "../../engine/registry";
import { isUniqueViolation, json, type Db } from "../../engine/store";
import { renderIn } from "../expression-data";
import type { createDealNode } from "./create-deal";
import type { createInvoiceNode } from "./create-invoice";
import type { findContactNode } from "./find-contact";
import type { updateInvoiceStatusNode } from "./update-invoice-status";
import type { upsertContactNode } from "./upsert-contact";

// The built-in records (contacts, invoices), written through the same database as everything
// else. Each write is idempotent: a repeated step (after a crash) finds what the first made.

type ConfigOf<N> = N extends { config: { parse(v: unknown): infer C } } ? C : never;

const DAY_MS = 86_400_000;

function contactOut(c: { id: string; email: string | null; name: string; company: string | null; phone: string | null }) {
  return { id: c.id, email: c.email, name: c.name, company: c.company, phone: c.phone };
}

async function rendered<T>(ctx: ExecutionContext<T>): Promise<T> {
  return (await renderIn(ctx, ctx.config)) as T;
}

function wholeNumber(value: unknown, field: string): number {
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new PermanentError(`${field}: must be a whole number ≥ 0, got ${JSON.stringify(value)}`);
  return n;
}

export function recordsExecutors(db: Db) {
  return {
    async upsertContact(ctx: ExecutionContext<ConfigOf<typeof upsertContactNode>>): Promise<StepResult> {
      const c = await rendered(ctx);
      const email = String(c.email).trim().toLowerCase();
      if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new PermanentError(`email: '${c.email}' is not an email address`);
      const fields = { name: String(c.name), company: c.company ? String(c.company) : null, phone: c.phone ? String(c.phone) : null, ...(c.data ? { data: json(c.data) } : {}) };
      const contact = await db.contact.upsert({ where: { email }, create: { email, ...fields }, update: fields });
      return { port: "out", output: contactOut(contact) };
    },

    async findContact(ctx: ExecutionContext<ConfigOf<typeof findContactNode>>): Promise<StepResult> {
      const c = await rendered(ctx);
      const contact = await db.contact.findUnique({ where: { email: String(c.email).trim().toLowerCase() } });
      return contact ? { port: "found", output: contactOut(contact) } : { port: "missing", output: null };
    },

    async createInvoice(ctx: ExecutionContext<ConfigOf<typeof createInvoiceNode>>): Promise<StepResult> {
      const existing = await db.invoice.findUnique({ where: { sourceKey: ctx.idempotencyKey }, include: { lines: { orderBy: { position: "asc" } } } });
      if (existing) return { port: "out", output: invoiceOut(existing) };
      const c = await rendered(ctx);
      const contact = await db.contact.findUnique({ where: { email: String(c.contactEmail).trim().toLowerCase() } });
      if (!contact) throw new PermanentError(`contactEmail: no contact has the email '${c.contactEmail}'`);
      const lines = c.lines.map((line, i) => {
        const quantity = wholeNumber(line.quantity, `lines.${i}.quantity`);
        const unitMinor = wholeNumber(line.unitMinor, `lines.${i}.unitMinor`);
        return { position: i + 1, description: String(line.description), quantity, unitMinor, amountMinor: quantity * unitMinor };
      });
      const totalMinor = lines.reduce((sum, l) => sum + l.amountMinor, 0);
      const issuedAt = new Date();
      // Numbers are sequential; two steps racing for one number retry with the next.
      for (let attempt = 0; ; attempt++) {
        const count = await db.invoice.count();
        const number = `INV-${String(count + 1 + attempt).padStart(6, "0")}`;
        try {
          const invoice = await db.invoice.create({
            data: {
              number,
              sourceKey: ctx.idempotencyKey,
              contactId: contact.id,
              currency: c.currency,
              totalMinor,
              issuedAt,
              dueAt: new Date(issuedAt.getTime() + c.dueInDays * DAY_MS),
              lines: { create: lines },
            },
            include: { lines: { orderBy: { position: "asc" } } },
          });
          return { port: "out", output: invoiceOut(invoice) };
        } catch (error) {
          const target = String((error as { meta?: { target?: unknown } }).meta?.target ?? "");
          if (!isUniqueViolation(error) || attempt >= 20) throw error;
          if (target.includes("sourceKey")) {
            const made = await db.invoice.findUniqueOrThrow({ where: { sourceKey: ctx.idempotencyKey }, include: { lines: { orderBy: { position: "asc" } } } });
            return { port: "out", output: invoiceOut(made) };
          }
        }
      }
    },

    async createDeal(ctx: ExecutionContext<ConfigOf<typeof createDealNode>>): Promise<StepResult> {
      const existing = await db.deal.findUnique({ where: { sourceKey: ctx.idempotencyKey } });
      if (existing) return { port: "out", output: dealOut(existing) };
      const c = await rendered(ctx);
      const contact = await db.contact.findUnique({ where: { email: String(c.contactEmail).trim().toLowerCase() } });
      if (!contact) throw new PermanentError(`contactEmail: no contact has the email '${c.contactEmail}'`);
      const data = { sourceKey: ctx.idempotencyKey, contactId: contact.id, title: String(c.title), stage: String(c.stage), amountMinor: wholeNumber(c.amountMinor, "amountMinor"), currency: c.currency };
      try {
        return { port: "out", output: dealOut(await db.deal.create({ data })) };
      } catch (error) {
        // The same step, concurrently (a worker that lost its lease): the other made it.
        if (!isUniqueViolation(error)) throw error;
        return { port: "out", output: dealOut(await db.deal.findUniqueOrThrow({ where: { sourceKey: ctx.idempotencyKey } })) };
      }
    },

    async updateInvoiceStatus(ctx: ExecutionContext<ConfigOf<typeof updateInvoiceStatusNode>>): Promise<StepResult> {
      const c = await rendered(ctx);
      const invoice = await db.invoice.findUnique({ where: { number: String(c.number) } });
      if (!invoice) throw new PermanentError(`number: no invoice '${c.number}'`);
      const updated = await db.invoice.update({
        where: { id: invoice.id },
        data: { status: c.status, ...(c.status === "paid" && !invoice.paidAt ? { paidAt: new Date() } : {}) },
        include: { lines: { orderBy: { position: "asc" } } },
      });
      return { port: "out", output: invoiceOut(updated) };
    },
  };
}

function invoiceOut(i: {
  id: string;
  number: string;
  status: string;
  currency: string;
  totalMinor: number;
  dueAt: Date | null;
  lines: { description: string; quantity: number; unitMinor: number; amountMinor: number }[];
}) {
  return {
    id: i.id,
    number: i.number,
    status: i.status,
    currency: i.currency,
    totalMinor: i.totalMinor,
    dueAt: i.dueAt?.toISOString() ?? null,
    lines: i.lines.map((l) => ({ description: l.description, quantity: l.quantity, unitMinor: l.unitMinor, amountMinor: l.amountMinor })),
  };
}

function dealOut(d: { id: string; contactId: string | null; title: string; stage: string; amountMinor: number; currency: string }) {
  return { id: d.id, contactId: d.contactId, title: d.title, stage: d.stage, amountMinor: d.amountMinor, currency: d.currency };
}
