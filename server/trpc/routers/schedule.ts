import { z } from "zod";
import { operatorProcedure, router } from "../init";

export const scheduleRouter = router({
  list: operatorProcedure.query(({ ctx }) => ctx.services.scheduler.list()),
  pause: operatorProcedure.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => ctx.services.scheduler.pause(input.id, ctx.actor)),
  resume: operatorProcedure.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => ctx.services.scheduler.resume(input.id, ctx.actor)),
});
