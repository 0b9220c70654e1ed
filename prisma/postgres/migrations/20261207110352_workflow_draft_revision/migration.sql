-- AlterTable
ALTER TABLE "Workflow" ADD COLUMN     "draftRevision" INTEGER NOT NULL DEFAULT 0;
