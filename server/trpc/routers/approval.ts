import { z } from "zod";
import { BulkApproveInput, DecideApprovalInput } from "../../services/approvals";
import { DecideInput } from "../../services/runs";
import { operatorProcedure, router } from "../init";

const NodeRef = z.object({ workflowId: z.string().min(1), nodeId: z.string().min(1) });

export const approvalRouter = router({
  pending: operatorProcedure.query(({ ctx }) => ctx.services.runs.pendingApprovals()),
  /** The raw decision (approval id, free edit data): kept for API clients. */
  decide: operatorProcedure.input(DecideInput).mutation(({ ctx, input }) => ctx.services.runs.decide(input, ctx.actor)),
  queue: operatorProcedure.query(({ ctx }) => ctx.services.approvals.queue()),
  count: operatorProcedure.query(({ ctx }) => ctx.services.approvals.pendingCount()),
  /** Live runs waiting at each node of a workflow (the editor's pause points). */
  waitingAtNodes: operatorProcedure.input(z.object({ workflowId: z.string().min(1) })).query(({ ctx, input }) => ctx.services.approvals.waitingAtNodes(input)),
  history: operatorProcedure.input(z.object({ limit: z.number().int().min(1).max(200).optional() }).optional()).query(({ ctx, input }) => ctx.services.approvals.history(input ?? {})),
  get: operatorProcedure.input(z.object({ id: z.string().min(1) })).query(({ ctx, input }) => ctx.services.approvals.get(input.id)),
  submit: operatorProcedure.input(DecideApprovalInput).mutation(({ ctx, input }) => ctx.services.approvals.decide(input, ctx.actor)),
  bulkApprove: operatorProcedure.input(BulkApproveInput).mutation(({ ctx, input }) => ctx.services.approvals.bulkApprove(input, ctx.actor)),
  autonomy: operatorProcedure.input(NodeRef).query(({ ctx, input }) => ctx.services.autonomy.status(input)),
  revokeAutonomy: operatorProcedure.input(NodeRef).mutation(({ ctx, input }) => ctx.services.autonomy.revoke(input, ctx.actor)),
  restoreAutonomy: operatorProcedure.input(NodeRef).mutation(({ ctx, input }) => ctx.services.autonomy.restore(input, ctx.actor)),
});
