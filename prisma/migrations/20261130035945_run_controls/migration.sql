-- AlterTable
ALTER TABLE "Run" ADD COLUMN "stepOverrides" JSONB;

-- AlterTable
ALTER TABLE "Workflow" ADD COLUMN "maxConcurrentRuns" INTEGER;
ALTER TABLE "Workflow" ADD COLUMN "maxRunSeconds" INTEGER;
