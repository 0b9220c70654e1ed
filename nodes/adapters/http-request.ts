import { z } from "zod";
import { LIMITS } from "../../engine/limits";
import { DEFAULT_RETRY, defineNode, templatesIn } from "../define";

export const httpRequestNode = defineNode({
  type: "http.request",
  version: 1,
  title: "HTTP request",
  category: "adapter",
  description:
    "Calls an HTTP API. Sends the step's idempotency key as Idempotency-Key; 429, 5xx and timeouts are retried, other 4xx fail. Private and loopback addresses are refused unless allowlisted in Settings. A cost per call (costUnits) makes it a paid call: counted in its run's cost and held by budgets.",
  icon: "globe",
  behavior: "task",
  config: z
    .object({
      method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]).default("GET"),
      url: z.string().min(1, "is required").max(2_000),
      headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, "must be a header name"), z.string().max(8_000)).default({}),
      body: z.unknown().optional(),
      /** A bearer, basic or header credential (Settings), added to the request; redacted from everything stored. */
      auth: z
        .object({ credential: z.string().min(1, "is required").max(63) })
        .strict()
        .optional(),
      /** The response body may be at most this large; it becomes the step's output. */
      maxResponseBytes: z
        .number()
        .int("must be a whole number of bytes")
        .min(1, "must be at least 1 byte")
        .max(LIMITS.stepPayloadBytes, `must be at most ${LIMITS.stepPayloadBytes} bytes (the limit for a step's output)`)
        .default(LIMITS.stepPayloadBytes),
      /** What one call costs, in cost units (a paid API): recorded as the step's cost, and budgets hold the step once a cap is reached. */
      costUnits: z.number().finite("must be a number").min(0, "must be 0 or more").max(1_000_000, "must be at most 1000000").optional(),
    })
    .strict(),
  errorPort: true,
  retry: DEFAULT_RETRY,
  risk: "medium",
  spends: (c) => (c.costUnits ?? 0) > 0,
  expressions: (c) => [...templatesIn(c.url, "url"), ...templatesIn(c.headers, "headers"), ...templatesIn(c.body, "body")],
});
