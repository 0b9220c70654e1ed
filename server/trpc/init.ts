import { initTRPC } from "@trpc/server";
import { getServices, type Services } from "../services";
import { issuesOf, toTRPCError } from "./errors";

export interface Context {
  services: Services;
}

export async function createContext(): Promise<Context> {
  return { services: await getServices() };
}

const t = initTRPC.context<Context>().create({
  isDev: process.env.NODE_ENV === "development",
  errorFormatter({ shape, error }) {
    const issues = issuesOf(error.cause);
    const internal = error.code === "INTERNAL_SERVER_ERROR";
    return {
      ...shape,
      // Internal errors say nothing about internals; the server log has the details.
      message: internal ? "Something went wrong on the server." : shape.message,
      data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path, ...(issues ? { issues } : {}) },
    };
  },
});

const translateErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const translated = toTRPCError(result.error.cause);
    if (translated) throw translated;
  }
  return result;
});

export const router = t.router;
export const publicProcedure = t.procedure.use(translateErrors);
export const createCallerFactory = t.createCallerFactory;
