-- AlterTable
ALTER TABLE "MemoryItem" ADD COLUMN "sourceKey" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "MemoryItem_sourceKey_key" ON "MemoryItem"("sourceKey");
