import { BacktestInput } from "../../services/backtest";
import { operatorProcedure, router } from "../init";

export const backtestRouter = router({
  // A mutation though it changes nothing: it can take a while and should never be cached or refetched.
  run: operatorProcedure.input(BacktestInput).mutation(({ ctx, input }) => ctx.services.backtest.run(input)),
});
