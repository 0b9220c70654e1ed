-- Intents join the run-change feed (server/services/run-changes.ts), so the triage queue inside
-- the approval queue updates as requests arrive and are routed, whichever process wrote them.
CREATE TRIGGER "RunChange_intent_insert" AFTER INSERT ON "Intent" BEGIN
  INSERT INTO "RunChange" ("runId", "workflowId", "kind") VALUES (COALESCE(NEW."runId", ''), NEW."workflowId", 'intent');
END;
CREATE TRIGGER "RunChange_intent_update" AFTER UPDATE ON "Intent" BEGIN
  INSERT INTO "RunChange" ("runId", "workflowId", "kind") VALUES (COALESCE(NEW."runId", ''), NEW."workflowId", 'intent');
END;
