import { z } from "zod";
import { LIMITS } from "../../engine/limits";
import { DEFAULT_RETRY, defineNode, templatesIn, withHelp } from "../define";

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
      method: withHelp(z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]).default("GET"), "The HTTP method: GET reads, POST creates, PUT/PATCH change, DELETE removes."),
      url: withHelp(z.string().min(1, "is required").max(2_000), "The full address to call, starting with https://. Templates allowed, e.g. for an id from an earlier step.", ["https://api.example.com/orders/{{ input.orderId }}"]),
      headers: withHelp(z.record(z.string().regex(/^[A-Za-z0-9-]+$/, "must be a header name"), z.string().max(8_000)).default({}), "Extra request headers, as a JSON object of name → value; values may hold templates. Put tokens in Auth, not here: headers are stored with the run.", [{ Accept: "application/json" }]),
      body: withHelp(z.unknown().optional(), "What to send (not with GET): JSON goes as application/json, a string as text. String values may hold {{ expressions }}.", [{ email: "{{ input.email }}", name: "{{ input.name }}" }]),
      auth: withHelp(
        z
          .object({ credential: z.string().min(1, "is required").max(63) })
          .strict()
          .optional(),
        "A bearer, basic or header credential (Settings → Credentials) added to the request; its secret is redacted from everything stored.",
      ),
      maxResponseBytes: withHelp(
        z
          .number()
          .int("must be a whole number of bytes")
          .min(1, "must be at least 1 byte")
          .max(LIMITS.stepPayloadBytes, `must be at most ${LIMITS.stepPayloadBytes} bytes (the limit for a step's output)`)
          .default(LIMITS.stepPayloadBytes),
        "The largest response body accepted, in bytes; a bigger one fails the step. The body becomes the step's output.",
        [65536],
      ),
      costUnits: withHelp(
        z.number().finite("must be a number").min(0, "must be 0 or more").max(1_000_000, "must be at most 1000000").optional(),
        "What one call costs, in cost units, for a paid API: recorded as the step's cost, and budgets hold the step once a cap is reached. Leave empty for a free call.",
        [0.01],
      ),
    })
    .strict(),
  errorPort: true,
  retry: DEFAULT_RETRY,
  risk: "medium",
  spends: (c) => (c.costUnits ?? 0) > 0,
  expressions: (c) => [...templatesIn(c.url, "url"), ...templatesIn(c.headers, "headers"), ...templatesIn(c.body, "body")],
});
