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
    "costUnits" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "costTokens" INTEGER NOT NULL DEFAULT 0,
    "computedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MetricsDay_pkey" PRIMARY KEY ("day","workflowId")
);

-- CreateTable
CREATE TABLE "AlertRule" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "threshold" DOUBLE PRECISION NOT NULL,
    "cooldownMinutes" INTEGER NOT NULL DEFAULT 60,
    "email" TEXT,
    "webhookUrl" TEXT,
    "webhookSecret" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "state" TEXT NOT NULL DEFAULT 'ok',
    "lastValue" DOUBLE PRECISION,
    "lastChangeAt" TIMESTAMP(3),
    "lastNotifiedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AlertRule_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Effect_completedAt_idx" ON "Effect"("completedAt");

-- CreateIndex
CREATE INDEX "Effect_status_startedAt_idx" ON "Effect"("status", "startedAt");

-- CreateIndex
CREATE INDEX "Run_createdAt_idx" ON "Run"("createdAt");

-- CreateIndex
CREATE INDEX "Run_finishedAt_idx" ON "Run"("finishedAt");
