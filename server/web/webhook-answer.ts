// The webhook answer the front server (webhook-ingress.ts) hands requests to, provided by Next's
// copy of Keel's modules (instrumentation.ts → next-webhooks.ts) when Next starts. Next bundles
// the server code it uses, so the web process holds Keel's modules twice: once as the front
// server loaded them, once in Next's bundle. Services made by the front server's copy would be
// a second set (a second database connection, a second inline worker, ~100 MB), and their errors
// would fail the `instanceof` checks of Next's copy. So the front server only reads and limits
// the body, and the one set of services, Next's, does the rest. The key is registered on
// globalThis under Symbol.for, which both copies resolve to the same symbol.

export interface WebhookAnswerRequest {
  workflow: string;
  headers: Headers;
  body: () => Promise<Uint8Array>;
}

export type WebhookAnswer = (request: WebhookAnswerRequest) => Promise<Response>;

const KEY = Symbol.for("keel.webhookAnswer");
const holder = globalThis as typeof globalThis & { [KEY]?: WebhookAnswer };

/** Called once in Next's copy: from now on the front server answers webhooks with `answer`. */
export function provideWebhookAnswer(answer: WebhookAnswer): void {
  holder[KEY] = answer;
}

/** Next's answer, or undefined before Next registered it (then Next's route handler serves the request). */
export function webhookAnswer(): WebhookAnswer | undefined {
  return holder[KEY];
}
