-- AlterTable
ALTER TABLE "Run" ADD COLUMN "triggerNodeId" TEXT;
