import { PermanentError } from "../../engine/errors";
import type { ContactRecord, DealRecord, InvoiceRecord, RecordsCapability } from "../../engine/registry";
import { isUniqueViolation, json, type Db } from "../../engine/store";

// The built-in records (contacts, invoices, deals), written through the same database as
// everything else. Each write is idempotent: a repeated step (after a crash) finds what the
// first made, by the step's key (`sourceKey`).

const DAY_MS = 86_400_000;
const withLines = { lines: { orderBy: { position: "asc" } } } as const;

function contactOut(c: ContactRecord): ContactRecord {
  return { id: c.id, email: c.email, name: c.name, company: c.company, phone: c.phone };
}

async function contactByEmail(db: Db, email: string) {
  const contact = await db.contact.findUnique({ where: { email: email.trim().toLowerCase() } });
  if (!contact) throw new PermanentError(`contactEmail: no contact has the email '${email}'`);
  return contact;
}

/** ctx.records over the database. */
export function recordsCapability(db: Db): RecordsCapability {
  return {
    async upsertContact(c) {
      const email = c.email.trim().toLowerCase();
      const fields = { name: c.name, company: c.company, phone: c.phone, ...(c.data ? { data: json(c.data) } : {}) };
      return contactOut(await db.contact.upsert({ where: { email }, create: { email, ...fields }, update: fields }));
    },

    async findContact(email) {
      const contact = await db.contact.findUnique({ where: { email: email.trim().toLowerCase() } });
      return contact ? contactOut(contact) : null;
    },

    async createInvoice(c) {
      const existing = await db.invoice.findUnique({ where: { sourceKey: c.sourceKey }, include: withLines });
      if (existing) return invoiceOut(existing);
      const contact = await contactByEmail(db, c.contactEmail);
      const lines = c.lines.map((line, i) => ({ position: i + 1, description: line.description, quantity: line.quantity, unitMinor: line.unitMinor, amountMinor: line.quantity * line.unitMinor }));
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
              sourceKey: c.sourceKey,
              contactId: contact.id,
              currency: c.currency,
              totalMinor,
              issuedAt,
              dueAt: new Date(issuedAt.getTime() + c.dueInDays * DAY_MS),
              lines: { create: lines },
            },
            include: withLines,
          });
          return invoiceOut(invoice);
        } catch (error) {
          const target = String((error as { meta?: { target?: unknown } }).meta?.target ?? "");
          if (!isUniqueViolation(error) || attempt >= 20) throw error;
          if (target.includes("sourceKey")) return invoiceOut(await db.invoice.findUniqueOrThrow({ where: { sourceKey: c.sourceKey }, include: withLines }));
        }
      }
    },

    async createDeal(c) {
      const existing = await db.deal.findUnique({ where: { sourceKey: c.sourceKey } });
      if (existing) return dealOut(existing);
      const contact = await contactByEmail(db, c.contactEmail);
      const data = { sourceKey: c.sourceKey, contactId: contact.id, title: c.title, stage: c.stage, amountMinor: c.amountMinor, currency: c.currency };
      try {
        return dealOut(await db.deal.create({ data }));
      } catch (error) {
        // The same step, concurrently (a worker that lost its lease): the other made it.
        if (!isUniqueViolation(error)) throw error;
        return dealOut(await db.deal.findUniqueOrThrow({ where: { sourceKey: c.sourceKey } }));
      }
    },

    async updateInvoiceStatus(number, status) {
      const invoice = await db.invoice.findUnique({ where: { number } });
      if (!invoice) throw new PermanentError(`number: no invoice '${number}'`);
      const updated = await db.invoice.update({
        where: { id: invoice.id },
        data: { status, ...(status === "paid" && !invoice.paidAt ? { paidAt: new Date() } : {}) },
        include: withLines,
      });
      return invoiceOut(updated);
    },
  };
}

function invoiceOut(i: Omit<InvoiceRecord, "dueAt" | "lines"> & { dueAt: Date | null; lines: InvoiceRecord["lines"] }): InvoiceRecord {
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

function dealOut(d: DealRecord): DealRecord {
  return { id: d.id, contactId: d.contactId, title: d.title, stage: d.stage, amountMinor: d.amountMinor, currency: d.currency };
}
