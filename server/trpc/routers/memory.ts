import { z } from "zod";
import { MemoryRetentionSchema } from "../../services/memory";
import { operatorProcedure, router } from "../init";

const subject = z.string().trim().min(3).max(300);

export const memoryRouter = router({
  status: operatorProcedure.query(({ ctx }) => ctx.services.memory.status()),
  subjects: operatorProcedure
    .input(z.object({ search: z.string().trim().max(200).optional(), limit: z.number().int().min(1).max(500).default(200) }).default({ limit: 200 }))
    .query(({ ctx, input }) => ctx.services.memory.subjects(input)),
  subject: operatorProcedure.input(z.object({ subject })).query(({ ctx, input }) => ctx.services.memory.subject(input.subject)),
  search: operatorProcedure
    .input(
      z.object({
        query: z.string().trim().min(1, "is required").max(2_000),
        subject: subject.optional(),
        kinds: z.array(z.string().max(40)).max(20).optional(),
        topK: z.number().int().min(1).max(50).default(10),
        minScore: z.number().min(-1).max(1).default(0),
      }),
    )
    .query(({ ctx, input }) => ctx.services.memory.search(input)),
  forget: operatorProcedure.input(z.object({ subject })).mutation(({ ctx, input }) => ctx.services.memory.forget(input.subject, ctx.actor)),
  retention: operatorProcedure.query(({ ctx }) => ctx.services.memory.retention()),
  saveRetention: operatorProcedure.input(MemoryRetentionSchema).mutation(({ ctx, input }) => ctx.services.memory.saveRetention(input, ctx.actor)),
});
