-- CreateTable
CREATE TABLE "ScheduleState" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "workflowId" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "spec" TEXT NOT NULL,
    "nextFireAt" DATETIME NOT NULL,
    "lastFireAt" DATETIME,
    "pendingFireAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "ScheduleState_workflowId_fkey" FOREIGN KEY ("workflowId") REFERENCES "Workflow" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "ScheduleState_workflowId_nodeId_key" ON "ScheduleState"("workflowId", "nodeId");
