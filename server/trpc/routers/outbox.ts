import { z } from "zod";
import { emailDeliveryWarnings } from "../../services/email-delivery";
import { operatorProcedure, router } from "../init";

export const outboxRouter = router({
  list: operatorProcedure.input(z.object({ status: z.enum(["not_sent", "sent"]).optional() }).default({})).query(async ({ ctx, input }) => {
    const rows = await ctx.services.database.db.emailMessage.findMany({
      where: input.status ? { status: input.status } : {},
      orderBy: { createdAt: "desc" },
      take: 200,
      select: { id: true, status: true, from: true, to: true, subject: true, text: true, runId: true, createdAt: true, sentAt: true },
    });
    return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString(), sentAt: r.sentAt?.toISOString() ?? null }));
  }),
  /** The email steps of a workflow's draft that will not reach anyone yet, and why (the editor marks them). */
  undeliverable: operatorProcedure.input(z.object({ workflow: z.string().min(1) })).query(({ ctx, input }) => emailDeliveryWarnings(ctx.services.database.db, input.workflow)),
});
