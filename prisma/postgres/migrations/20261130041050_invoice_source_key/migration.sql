-- AlterTable
ALTER TABLE "Invoice" ADD COLUMN     "sourceKey" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "Invoice_sourceKey_key" ON "Invoice"("sourceKey");
