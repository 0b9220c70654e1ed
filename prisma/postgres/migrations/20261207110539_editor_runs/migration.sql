-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "test" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "Workflow" ADD COLUMN     "testInput" JSONB;

-- AlterTable
ALTER TABLE "WorkflowVersion" ADD COLUMN     "test" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "RunChange" (
    "id" SERIAL NOT NULL,
    "runId" TEXT NOT NULL,
    "workflowId" TEXT,
    "kind" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RunChange_pkey" PRIMARY KEY ("id")
);

-- The run-change feed (server/services/run-changes.ts): every writer of runs, events and
-- approvals, the engine's bare-driver path included, notifies the web server on commit.
-- Identical notifications within one transaction arrive once.
CREATE FUNCTION keel_notify_run_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  run_id TEXT;
  workflow_id TEXT;
  change_kind TEXT;
BEGIN
  IF TG_TABLE_NAME = 'Run' THEN
    run_id := NEW."id";
    workflow_id := NEW."workflowId";
    change_kind := 'run';
  ELSE
    run_id := NEW."runId";
    SELECT "workflowId" INTO workflow_id FROM "Run" WHERE "id" = run_id;
    change_kind := CASE WHEN TG_TABLE_NAME = 'RunEvent' THEN 'event' ELSE 'approval' END;
  END IF;
  PERFORM pg_notify('keel_run_change', json_build_object('runId', run_id, 'workflowId', workflow_id, 'kind', change_kind)::text);
  RETURN NULL;
END;
$$;
CREATE TRIGGER "RunChange_run" AFTER INSERT OR UPDATE ON "Run" FOR EACH ROW EXECUTE FUNCTION keel_notify_run_change();
CREATE TRIGGER "RunChange_event" AFTER INSERT ON "RunEvent" FOR EACH ROW EXECUTE FUNCTION keel_notify_run_change();
CREATE TRIGGER "RunChange_approval" AFTER INSERT OR UPDATE ON "Approval" FOR EACH ROW EXECUTE FUNCTION keel_notify_run_change();
