-- AlterTable
ALTER TABLE "Workflow" ADD COLUMN "testInput" JSONB;

-- CreateTable
CREATE TABLE "RunChange" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "runId" TEXT NOT NULL,
    "workflowId" TEXT,
    "kind" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Run" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "workflowId" TEXT NOT NULL,
    "versionId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'queued',
    "trigger" TEXT NOT NULL DEFAULT 'manual',
    "triggerNodeId" TEXT,
    "test" BOOLEAN NOT NULL DEFAULT false,
    "input" JSONB NOT NULL,
    "output" JSONB,
    "error" JSONB,
    "idempotencyKey" TEXT,
    "leaseOwner" TEXT,
    "leaseExpiresAt" DATETIME,
    "wakeAt" DATETIME,
    "costTokens" INTEGER NOT NULL DEFAULT 0,
    "costUnits" REAL NOT NULL DEFAULT 0,
    "parentRunId" TEXT,
    "parentNodeId" TEXT,
    "stepOverrides" JSONB,
    "originRunId" TEXT,
    "originSeq" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    CONSTRAINT "Run_workflowId_fkey" FOREIGN KEY ("workflowId") REFERENCES "Workflow" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Run_versionId_fkey" FOREIGN KEY ("versionId") REFERENCES "WorkflowVersion" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Run_parentRunId_fkey" FOREIGN KEY ("parentRunId") REFERENCES "Run" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Run" ("costTokens", "costUnits", "createdAt", "error", "finishedAt", "id", "idempotencyKey", "input", "leaseExpiresAt", "leaseOwner", "originRunId", "originSeq", "output", "parentNodeId", "parentRunId", "startedAt", "status", "stepOverrides", "trigger", "triggerNodeId", "updatedAt", "versionId", "wakeAt", "workflowId") SELECT "costTokens", "costUnits", "createdAt", "error", "finishedAt", "id", "idempotencyKey", "input", "leaseExpiresAt", "leaseOwner", "originRunId", "originSeq", "output", "parentNodeId", "parentRunId", "startedAt", "status", "stepOverrides", "trigger", "triggerNodeId", "updatedAt", "versionId", "wakeAt", "workflowId" FROM "Run";
DROP TABLE "Run";
ALTER TABLE "new_Run" RENAME TO "Run";
CREATE INDEX "Run_status_wakeAt_idx" ON "Run"("status", "wakeAt");
CREATE INDEX "Run_leaseExpiresAt_idx" ON "Run"("leaseExpiresAt");
CREATE INDEX "Run_parentRunId_idx" ON "Run"("parentRunId");
CREATE INDEX "Run_workflowId_createdAt_idx" ON "Run"("workflowId", "createdAt");
CREATE UNIQUE INDEX "Run_workflowId_idempotencyKey_key" ON "Run"("workflowId", "idempotencyKey");
CREATE TABLE "new_WorkflowVersion" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "workflowId" TEXT NOT NULL,
    "number" INTEGER NOT NULL,
    "graph" JSONB NOT NULL,
    "machine" JSONB NOT NULL,
    "hash" TEXT NOT NULL,
    "notes" TEXT NOT NULL DEFAULT '',
    "publishedBy" TEXT NOT NULL DEFAULT 'operator',
    "test" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "WorkflowVersion_workflowId_fkey" FOREIGN KEY ("workflowId") REFERENCES "Workflow" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_WorkflowVersion" ("createdAt", "graph", "hash", "id", "machine", "notes", "number", "publishedBy", "workflowId") SELECT "createdAt", "graph", "hash", "id", "machine", "notes", "number", "publishedBy", "workflowId" FROM "WorkflowVersion";
DROP TABLE "WorkflowVersion";
ALTER TABLE "new_WorkflowVersion" RENAME TO "WorkflowVersion";
CREATE INDEX "WorkflowVersion_hash_idx" ON "WorkflowVersion"("hash");
CREATE UNIQUE INDEX "WorkflowVersion_workflowId_number_key" ON "WorkflowVersion"("workflowId", "number");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- The run-change feed (server/services/run-changes.ts). Triggers catch every writer, the
-- engine's bare-driver path included. A table redefinition of Run, RunEvent or Approval drops
-- its triggers: such a migration must create them again (test/integration/run-changes.test.ts
-- fails otherwise).
CREATE TRIGGER "RunChange_run_insert" AFTER INSERT ON "Run" BEGIN
  INSERT INTO "RunChange" ("runId", "workflowId", "kind") VALUES (NEW."id", NEW."workflowId", 'run');
END;
CREATE TRIGGER "RunChange_run_update" AFTER UPDATE ON "Run" BEGIN
  INSERT INTO "RunChange" ("runId", "workflowId", "kind") VALUES (NEW."id", NEW."workflowId", 'run');
END;
CREATE TRIGGER "RunChange_event_insert" AFTER INSERT ON "RunEvent" BEGIN
  INSERT INTO "RunChange" ("runId", "workflowId", "kind") VALUES (NEW."runId", (SELECT "workflowId" FROM "Run" WHERE "id" = NEW."runId"), 'event');
END;
CREATE TRIGGER "RunChange_approval_insert" AFTER INSERT ON "Approval" BEGIN
  INSERT INTO "RunChange" ("runId", "workflowId", "kind") VALUES (NEW."runId", (SELECT "workflowId" FROM "Run" WHERE "id" = NEW."runId"), 'approval');
END;
CREATE TRIGGER "RunChange_approval_update" AFTER UPDATE ON "Approval" BEGIN
  INSERT INTO "RunChange" ("runId", "workflowId", "kind") VALUES (NEW."runId", (SELECT "workflowId" FROM "Run" WHERE "id" = NEW."runId"), 'approval');
END;
-- The feed only needs the recent past: keep the table small whatever reads it.
CREATE TRIGGER "RunChange_trim" AFTER INSERT ON "RunChange" WHEN NEW."id" % 1000 = 0 BEGIN
  DELETE FROM "RunChange" WHERE "id" <= NEW."id" - 10000;
END;
