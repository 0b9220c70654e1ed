-- CreateTable
CREATE TABLE "ScheduleState" (
    "id" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "spec" TEXT NOT NULL,
    "nextFireAt" TIMESTAMP(3) NOT NULL,
    "lastFireAt" TIMESTAMP(3),
    "pendingFireAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ScheduleState_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ScheduleState_workflowId_nodeId_key" ON "ScheduleState"("workflowId", "nodeId");

-- AddForeignKey
ALTER TABLE "ScheduleState" ADD CONSTRAINT "ScheduleState_workflowId_fkey" FOREIGN KEY ("workflowId") REFERENCES "Workflow"("id") ON DELETE CASCADE ON UPDATE CASCADE;
