import { publicProcedure, router } from "./init";
import { workflowRouter } from "./routers/workflow";

export const appRouter = router({
  health: publicProcedure.query(({ ctx }) => ctx.services.health()),
  workflow: workflowRouter,
});

export type AppRouter = typeof appRouter;
