import { z } from "zod";
import { DiffInput, RestoreInput } from "../../services/versions";
import { operatorProcedure, router } from "../init";

export const versionRouter = router({
  diff: operatorProcedure.input(DiffInput).query(({ ctx, input }) => ctx.services.versions.diff(input)),
  restoreAsDraft: operatorProcedure.input(RestoreInput).mutation(({ ctx, input }) => ctx.services.versions.restoreAsDraft(input, ctx.actor)),
  waitingOnOlder: operatorProcedure.input(z.object({ id: z.string().min(1) })).query(({ ctx, input }) => ctx.services.versions.waitingOnOlder(input.id)),
});
