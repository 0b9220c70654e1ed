-- Intents join the run-change feed (server/services/run-changes.ts), so the triage queue inside
-- the approval queue updates as requests arrive and are routed, whichever process wrote them.
CREATE OR REPLACE FUNCTION keel_notify_run_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  run_id TEXT;
  workflow_id TEXT;
  change_kind TEXT;
BEGIN
  IF TG_TABLE_NAME = 'Run' THEN
    run_id := NEW."id";
    workflow_id := NEW."workflowId";
    change_kind := 'run';
  ELSIF TG_TABLE_NAME = 'Intent' THEN
    run_id := COALESCE(NEW."runId", '');
    workflow_id := NEW."workflowId";
    change_kind := 'intent';
  ELSE
    run_id := NEW."runId";
    SELECT "workflowId" INTO workflow_id FROM "Run" WHERE "id" = run_id;
    change_kind := CASE WHEN TG_TABLE_NAME = 'RunEvent' THEN 'event' ELSE 'approval' END;
  END IF;
  PERFORM pg_notify('keel_run_change', json_build_object('runId', run_id, 'workflowId', workflow_id, 'kind', change_kind)::text);
  RETURN NULL;
END;
$$;

CREATE TRIGGER "RunChange_intent" AFTER INSERT OR UPDATE ON "Intent" FOR EACH ROW EXECUTE FUNCTION keel_notify_run_change();
