-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Workflow" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "draftGraph" JSONB NOT NULL,
    "draftRevision" INTEGER NOT NULL DEFAULT 0,
    "maxConcurrentRuns" INTEGER,
    "maxRunSeconds" INTEGER,
    "currentVersionId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "archivedAt" DATETIME,
    CONSTRAINT "Workflow_currentVersionId_fkey" FOREIGN KEY ("currentVersionId") REFERENCES "WorkflowVersion" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Workflow" ("archivedAt", "createdAt", "currentVersionId", "description", "draftGraph", "id", "maxConcurrentRuns", "maxRunSeconds", "name", "slug", "updatedAt") SELECT "archivedAt", "createdAt", "currentVersionId", "description", "draftGraph", "id", "maxConcurrentRuns", "maxRunSeconds", "name", "slug", "updatedAt" FROM "Workflow";
DROP TABLE "Workflow";
ALTER TABLE "new_Workflow" RENAME TO "Workflow";
CREATE UNIQUE INDEX "Workflow_slug_key" ON "Workflow"("slug");
CREATE UNIQUE INDEX "Workflow_currentVersionId_key" ON "Workflow"("currentVersionId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
