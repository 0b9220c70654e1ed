import { z } from "zod";
import { operatorProcedure, router } from "../init";

export const auditRouter = router({
  list: operatorProcedure
    // `cursor` is the id of the last entry of the previous page (tRPC's infinite-query convention).
    .input(z.object({ limit: z.number().int().min(1).max(200).default(50), cursor: z.string().nullish() }))
    .query(({ ctx, input }) => ctx.services.audit.list({ limit: input.limit, after: input.cursor ?? undefined })),
});
