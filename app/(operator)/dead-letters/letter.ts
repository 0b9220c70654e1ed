import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "../../../server/trpc/router";

/** One open dead letter as the inbox query returns it (a type only: nothing server-side is bundled). */
export type Letter = inferRouterOutputs<AppRouter>["deadLetter"]["inbox"][number];
