-- AlterTable
ALTER TABLE "Deal" ADD COLUMN "sourceKey" TEXT;

-- CreateTable
CREATE TABLE "Intent" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "source" TEXT NOT NULL,
    "sourceRef" TEXT,
    "text" TEXT NOT NULL,
    "raw" JSONB NOT NULL,
    "fields" JSONB,
    "contactId" TEXT,
    "subject" TEXT,
    "status" TEXT NOT NULL,
    "via" TEXT,
    "workflowId" TEXT,
    "label" TEXT,
    "confidence" REAL,
    "reason" TEXT NOT NULL,
    "evidence" JSONB NOT NULL,
    "runId" TEXT,
    "decidedBy" TEXT,
    "decidedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Intent_contactId_fkey" FOREIGN KEY ("contactId") REFERENCES "Contact" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Intent_status_createdAt_idx" ON "Intent"("status", "createdAt");

-- CreateIndex
CREATE INDEX "Intent_createdAt_idx" ON "Intent"("createdAt");

-- CreateIndex
CREATE INDEX "Intent_runId_idx" ON "Intent"("runId");

-- CreateIndex
CREATE UNIQUE INDEX "Intent_source_sourceRef_key" ON "Intent"("source", "sourceRef");

-- CreateIndex
CREATE UNIQUE INDEX "Deal_sourceKey_key" ON "Deal"("sourceKey");
