-- CreateTable
CREATE TABLE "Budget" (
    "scope" TEXT NOT NULL,
    "dailyCap" DOUBLE PRECISION NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Budget_pkey" PRIMARY KEY ("scope")
);

-- CreateTable
CREATE TABLE "KeelSpend" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "costUnits" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "costTokens" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "KeelSpend_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "KeelSpend_createdAt_idx" ON "KeelSpend"("createdAt");
