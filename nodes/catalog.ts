import { createRegistry, type AnyNodeMeta } from "../engine/registry";
import { emailSendNode } from "./adapters/email-send";
import { httpRequestNode } from "./adapters/http-request";
import { approvalNode, approvalNodeV2 } from "./human/approval";
import { llmChatNode } from "./llm/chat";
import { llmClassifyNode } from "./llm/classify";
import { llmExtractNode } from "./llm/extract";
import { recallNode } from "./memory/recall";
import { formNode } from "./human/form";
import { rememberNode } from "./memory/remember";
import { notifyOperatorNode } from "./notify/operator";
import { createDealNode } from "./records/create-deal";
import { createInvoiceNode } from "./records/create-invoice";
import { findContactNode } from "./records/find-contact";
import { updateInvoiceStatusNode } from "./records/update-invoice-status";
import { upsertContactNode } from "./records/upsert-contact";
import { delayNode } from "./flow/delay";
import { endNode } from "./flow/end";
import { forkNode } from "./flow/fork";
import { joinNode } from "./flow/join";
import { subworkflowNode } from "./flow/subworkflow";
import { setNode } from "./data/set";
import { transformNode } from "./data/transform";
import { ifNode } from "./logic/if";
import { llmAvailableNode } from "./logic/llm-available";
import { mergeNode } from "./logic/merge";
import { switchNode } from "./logic/switch";
import { forEachNode } from "./loops/for-each";
import { untilNode } from "./loops/until";
import { intentTrigger } from "./triggers/intent";
import { manualTrigger, manualTriggerV2 } from "./triggers/manual";
import { scheduleTrigger } from "./triggers/schedule";
import { webhookTrigger } from "./triggers/webhook";

// THE list of node types. The palette, config forms, validation, the compiler and the engine
// all read it (the engine as a parameter); nothing else lists node types, tests included.
export const CATALOG: AnyNodeMeta[] = [
  manualTrigger,
  manualTriggerV2,
  webhookTrigger,
  scheduleTrigger,
  intentTrigger,
  ifNode,
  llmAvailableNode,
  switchNode,
  mergeNode,
  transformNode,
  setNode,
  forEachNode,
  untilNode,
  forkNode,
  joinNode,
  approvalNode,
  approvalNodeV2,
  formNode,
  delayNode,
  subworkflowNode,
  endNode,
  httpRequestNode,
  upsertContactNode,
  findContactNode,
  createInvoiceNode,
  createDealNode,
  updateInvoiceStatusNode,
  emailSendNode,
  llmChatNode,
  llmExtractNode,
  llmClassifyNode,
  rememberNode,
  recallNode,
  notifyOperatorNode,
];

export const registry = createRegistry(CATALOG);
