import { z } from "zod";
import { operatorProcedure, router } from "../init";

export const notificationRouter = router({
  list: operatorProcedure.input(z.object({ limit: z.number().int().min(1).max(500).optional() }).default({})).query(({ ctx, input }) => ctx.services.notifications.list(input)),
  unreadCount: operatorProcedure.query(({ ctx }) => ctx.services.notifications.unreadCount()),
  markRead: operatorProcedure.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => ctx.services.notifications.markRead(input)),
  markAllRead: operatorProcedure.mutation(({ ctx }) => ctx.services.notifications.markAllRead()),
});
