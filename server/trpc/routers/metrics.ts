import { DashboardInput } from "../../services/metrics";
import { operatorProcedure, router } from "../init";

export const metricsRouter = router({
  dashboard: operatorProcedure.input(DashboardInput).query(({ ctx, input }) => ctx.services.metrics.dashboard(input)),
});
