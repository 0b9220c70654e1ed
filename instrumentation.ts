// Next runs this once per server, inside its own bundle of Keel's modules (under Keel's front
// server, when it handles its first request): it hands the front server the webhook answer of
// that one copy of the services (server/web/webhook-answer.ts). Until then, webhooks go through
// Next's route handler, which uses the same copy.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") await import("./server/web/next-webhooks");
}
