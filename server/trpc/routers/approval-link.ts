import { z } from "zod";
import { UseLinkInput } from "../../services/approval-links";
import { publicProcedure, router } from "../init";

// The email's one-time approve / reject links, usable without signing in: the signed token is
// the credential. Looking at a link changes nothing; only `use` (a POST) decides.
export const approvalLinkRouter = router({
  inspect: publicProcedure.input(z.object({ token: z.string().min(1).max(2_000) })).query(({ ctx, input }) => ctx.services.approvalLinks.inspect(input.token)),
  use: publicProcedure.input(UseLinkInput).mutation(({ ctx, input }) => ctx.services.approvalLinks.use(input)),
});
