import { answerWebhook } from "../http/webhook-endpoint";
import { getServices } from "../services";
import { provideWebhookAnswer } from "./webhook-answer";

// Loaded by instrumentation.ts inside Next's bundle: the webhook answer of Next's copy of the
// services, for the front server to call (webhook-answer.ts says why).
provideWebhookAnswer((request) => answerWebhook(async () => (await getServices()).webhooks, request));
