-- CreateTable
CREATE TABLE "Budget" (
    "scope" TEXT NOT NULL PRIMARY KEY,
    "dailyCap" REAL NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "KeelSpend" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "costUnits" REAL NOT NULL DEFAULT 0,
    "costTokens" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "KeelSpend_createdAt_idx" ON "KeelSpend"("createdAt");
