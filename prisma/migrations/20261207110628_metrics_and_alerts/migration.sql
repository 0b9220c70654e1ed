-- CreateTable
CREATE TABLE "MetricsDay" (
    "day" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "runsStarted" INTEGER NOT NULL DEFAULT 0,
    "runsSucceeded" INTEGER NOT NULL DEFAULT 0,
    "runsFailed" INTEGER NOT NULL DEFAULT 0,
    "steps" INTEGER NOT NULL DEFAULT 0,
    "stepsFailed" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "costUnits" REAL NOT NULL DEFAULT 0,
    "costTokens" INTEGER NOT NULL DEFAULT 0,
    "computedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("day", "workflowId")
);

-- CreateTable
CREATE TABLE "AlertRule" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "threshold" REAL NOT NULL,
    "cooldownMinutes" INTEGER NOT NULL DEFAULT 60,
    "email" TEXT,
    "webhookUrl" TEXT,
    "webhookSecret" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "state" TEXT NOT NULL DEFAULT 'ok',
    "lastValue" REAL,
    "lastChangeAt" DATETIME,
    "lastNotifiedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "Effect_completedAt_idx" ON "Effect"("completedAt");

-- CreateIndex
CREATE INDEX "Effect_status_startedAt_idx" ON "Effect"("status", "startedAt");

-- CreateIndex
CREATE INDEX "Run_createdAt_idx" ON "Run"("createdAt");

-- CreateIndex
CREATE INDEX "Run_finishedAt_idx" ON "Run"("finishedAt");
