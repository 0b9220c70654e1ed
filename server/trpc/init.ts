import { initTRPC, TRPCError } from "@trpc/server";
import { RateLimitedError } from "../../engine/errors";
import type { ClientInfo } from "../auth/service";
import { DEVICE_COOKIE, readCookie, SESSION_COOKIE } from "../http/cookies";
import { clientIp, isSameOriginRequest } from "../http/request-guards";
import { getServices, type Services } from "../services";
import { issuesOf, toTRPCError } from "./errors";

export type Principal =
  | { kind: "session"; sessionId: string }
  | { kind: "token"; tokenId: string }
  | { kind: "none" };

export interface Context {
  services: Services;
  principal: Principal;
  /** Who to name in the audit log. */
  actor: string;
  client: ClientInfo;
  sessionToken: string | undefined;
  /** Whether a state-changing request provably comes from Keel's own pages. */
  sameOrigin: boolean;
  /** Response headers (Set-Cookie) for procedures that sign in or out. */
  resHeaders: Headers;
}

export async function createContext({ req, resHeaders }: { req: Request; resHeaders: Headers }): Promise<Context> {
  const services = await getServices();
  const sessionToken = readCookie(req.headers.get("cookie"), SESSION_COOKIE);
  const bearer = req.headers.get("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1];
  let principal: Principal = { kind: "none" };
  if (bearer) {
    const token = await services.auth.apiToken(bearer);
    if (token) principal = { kind: "token", tokenId: token.id };
  } else {
    const session = await services.auth.session(sessionToken);
    if (session) principal = { kind: "session", sessionId: session.id };
  }
  return {
    services,
    principal,
    actor: principal.kind === "token" ? `api-token:${principal.tokenId}` : "operator",
    client: {
      ip: clientIp(req, services.config.trustedProxies),
      userAgent: req.headers.get("user-agent") ?? undefined,
      device: readCookie(req.headers.get("cookie"), DEVICE_COOKIE),
    },
    sessionToken,
    sameOrigin: isSameOriginRequest(req, services.config.publicUrl),
    resHeaders,
  };
}

/** Every procedure declares who may call it; the access-matrix test reads this. */
export interface Meta {
  access: "public" | "operator";
}

const t = initTRPC
  .context<Context>()
  .meta<Meta>()
  .create({
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

const translateErrors = t.middleware(async ({ ctx, next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof RateLimitedError) ctx.resHeaders.set("retry-after", String(Math.ceil(cause.retryAfterMs / 1000)));
    const translated = toTRPCError(cause);
    if (translated) throw translated;
  }
  return result;
});

// Browser sessions ride on a cookie, so their mutations must prove they come from Keel's own
// pages; API tokens are sent deliberately and need no such proof.
const refuseCrossSite = t.middleware(({ ctx, type, next }) => {
  if (type === "mutation" && ctx.principal.kind !== "token" && !ctx.sameOrigin) {
    throw new TRPCError({ code: "FORBIDDEN", message: "Cross-site request refused." });
  }
  return next();
});

const requireOperator = t.middleware(({ ctx, next }) => {
  if (ctx.principal.kind === "none") {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  }
  return next();
});

export const router = t.router;
/** Callable without a session: only the health check and signing in. */
export const publicProcedure = t.procedure.meta({ access: "public" }).use(translateErrors).use(refuseCrossSite);
/** The default: needs a session or an API token. */
export const operatorProcedure = t.procedure.meta({ access: "operator" }).use(translateErrors).use(requireOperator).use(refuseCrossSite);
export const createCallerFactory = t.createCallerFactory;
