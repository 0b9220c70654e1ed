// Next runs this once when the server starts, inside its own bundle of Keel's modules: it
// hands Keel's front server the webhook answer of that one copy of the services
// (server/web/webhook-answer.ts).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") await import("./server/web/next-webhooks");
}
