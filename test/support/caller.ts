import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { expect } from "vitest";
import { loadConfig } from "../../server/config";
import { servicesFor, type Services } from "../../server/services";
import { createCallerFactory } from "../../server/trpc/init";
import { appRouter } from "../../server/trpc/router";
import { operatorContext } from "./context";
import { migratedDatabase, type DatabaseKind } from "./databases";

const createCaller = createCallerFactory(appRouter);
export type Caller = ReturnType<typeof createCaller>;

export interface OperatorApi {
  caller: Caller;
  services: Services;
  env: Awaited<ReturnType<typeof migratedDatabase>>;
}

/** A scratch database of this kind, the services over it, and a signed-in operator's tRPC caller. */
export async function operatorApi(kind: DatabaseKind): Promise<OperatorApi> {
  const env = await migratedDatabase(kind);
  const config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-data-")), DATABASE_URL: env.scratch.target.url });
  const services = servicesFor(config, env.database);
  return { caller: createCaller(operatorContext(services)), services, env };
}

/** The TRPCError a call fails with; fails the test when it succeeds. */
export async function rejection(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}
